import { requireUser } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { json, route } from "@/app/lib/http/respond";
import { uploadMedia } from "@/app/lib/media/uploadMedia";

export const dynamic = "force-dynamic";

/**
 * Upload one image: the raw bytes are the body (any Content-Type; the bytes decide), capped
 * at MEDIA_MAX_BYTES while streaming. Not multipart: one file per request needs no form
 * parser, and a browser sends a File as the body as it is.
 */
export const POST = route(async (req) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  return json({ media: await uploadMedia(ctx, user.id, req) }, 201);
});
