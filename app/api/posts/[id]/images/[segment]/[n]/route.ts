import { requireUser } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { route } from "@/app/lib/http/respond";
import { getPostImage } from "@/app/lib/posts/getPostImage";

export const dynamic = "force-dynamic";

type Params = { id: string; segment: string; n: string };

/** One stored image of the caller's own post (anyone else gets 404). */
export const GET = route<Params>(async (req, { id, segment, n }) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  const { bytes, mimeType } = await getPostImage(ctx, user.id, id, segment, n);
  return new Response(new Uint8Array(bytes), {
    headers: {
      "content-type": mimeType,
      // Stored images never change under the same URL; private: it is one user's.
      "cache-control": "private, max-age=86400, immutable",
      "x-content-type-options": "nosniff",
      "content-security-policy": "default-src 'none'; sandbox",
    },
  });
});
