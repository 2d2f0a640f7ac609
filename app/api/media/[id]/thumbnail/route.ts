import { requireUser } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { route } from "@/app/lib/http/respond";
import { getMedia, mediaResponse } from "@/app/lib/media/getMedia";

export const dynamic = "force-dynamic";

/** A WebP thumbnail (at most 320 px a side) of one of the caller's images (anyone else gets 404). */
export const GET = route<{ id: string }>(async (req, { id }) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  return mediaResponse(await getMedia(ctx, user.id, id, "thumbnail"));
});
