import { requireUser } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { route } from "@/app/lib/http/respond";
import { mediaResponse } from "@/app/lib/media/getMedia";
import { getPostImage } from "@/app/lib/posts/getPostImage";

export const dynamic = "force-dynamic";

type Params = { id: string; segment: string; n: string };

/** One stored image of the caller's own post (anyone else gets 404). */
export const GET = route<Params>(async (req, { id, segment, n }) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  return mediaResponse(await getPostImage(ctx, user.id, id, segment, n));
});
