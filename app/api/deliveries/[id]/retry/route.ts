import { requireUser } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { retryDelivery } from "@/app/lib/dashboard/retryDelivery";
import { json, route } from "@/app/lib/http/respond";
import { getPost } from "@/app/lib/posts/getPost";

export const dynamic = "force-dynamic";

/** POST /api/deliveries/:id/retry: a failed delivery of one's own post is tried again now. 202 `{"post"}`. */
export const POST = route<{ id: string }>(async (req, { id }) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  const { postId } = await retryDelivery(ctx, id, user.id);
  return json({ post: await getPost(ctx, user.id, postId) }, 202);
});
