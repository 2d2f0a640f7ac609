import type { AppContext } from "../context";
import { cancelPendingPost, lockUserPost } from "../db/queries/posts";
import { AppError, notFound } from "../errors";
import { removeDeliveryJobs } from "./enqueueDeliveries";
import { getPost } from "./getPost";
import type { PostJson } from "./postJson";
import { isUuid } from "./schemas";

/**
 * Cancels a post that has not started publishing: its deliveries become cancelled and their
 * jobs are removed. Cancelling twice answers the cancelled post again.
 */
export async function cancelPost(ctx: AppContext, userId: string, postId: string): Promise<PostJson> {
  if (!isUuid(postId)) throw notFound("post");
  const pendingIds = await ctx.database.db.transaction(async (tx) => {
    const found = await lockUserPost(tx, userId, postId);
    if (!found) throw notFound("post");
    const started = found.deliveries.filter((d) => d.status === "published" || d.status === "publishing");
    if (started.length > 0) {
      throw new AppError("conflict", "the post is being published or was published; delete it on the platform instead", {
        deliveries: started.map((d) => ({ id: d.id, status: d.status })),
      });
    }
    const pending = found.deliveries.filter((d) => d.status === "pending").map((d) => d.id);
    if (found.post.status !== "cancelled") await cancelPendingPost(tx, postId);
    return pending;
  });
  if (pendingIds.length > 0) await removeDeliveryJobs(ctx, pendingIds);
  return getPost(ctx, userId, postId);
}
