import type { AppContext } from "../context";
import { refreshPostStatus } from "../db/queries/deliveries";
import { findDeliveryForRetry, resetFailedDelivery } from "../db/queries/dashboard";
import { AppError, notFound } from "../errors";
import { rescheduleDeliveries } from "../posts/enqueueDeliveries";
import { isUuid } from "../posts/schemas";

/**
 * Retries one failed delivery now: back to pending, a fresh publish job (the old failed job is
 * replaced). A partly published thread continues from its first segment that is not live. `userId` null = an admin acting on anyone's delivery. Answers the post id.
 */
export async function retryDelivery(ctx: AppContext, deliveryId: string, userId: string | null): Promise<{ postId: string; deliveryId: string }> {
  if (!isUuid(deliveryId)) throw notFound("delivery");
  const target = await findDeliveryForRetry(ctx.database.db, deliveryId, userId);
  if (!target) throw notFound("delivery");
  if (target.status !== "failed" && target.status !== "partially_published") {
    throw new AppError("conflict", `only a failed delivery (or a partly published thread) can be retried (this one is ${target.status})`);
  }
  if (target.accountStatus !== "active") {
    throw new AppError("conflict", `@${target.accountHandle} needs to be reconnected before this post can be retried (Accounts page)`);
  }
  if (!(await resetFailedDelivery(ctx.database.db, deliveryId))) throw new AppError("conflict", "this delivery is being retried already");
  await refreshPostStatus(ctx.database.db, target.postId);
  await rescheduleDeliveries(ctx, [{ deliveryId, scheduledAt: new Date() }]);
  return { postId: target.postId, deliveryId };
}
