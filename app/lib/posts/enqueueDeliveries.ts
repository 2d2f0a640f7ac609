import type { AppContext } from "../context";
import { logger } from "../logger";
import { addPostsToQueue, removePostJob, reschedulePostJob } from "../queues/postQueue";

const log = logger("posts");

/** A queue that does not answer must not hold an HTTP request forever (ioredis retries without end). */
export const QUEUE_CALL_TIMEOUT_MS = 3_000;

async function bounded(what: string, work: () => Promise<unknown>, context: Record<string, unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${QUEUE_CALL_TIMEOUT_MS} ms`)), QUEUE_CALL_TIMEOUT_MS);
  });
  try {
    await Promise.race([work(), timeout]);
    return true;
  } catch (err) {
    // The database already says what should happen; the reconciler makes the queue agree.
    log.warn({ ...context, err: err instanceof Error ? err.message : String(err) }, `queue unavailable while ${what}; the reconciler will catch up`);
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export function enqueueDeliveries(ctx: AppContext, items: Array<{ deliveryId: string; scheduledAt: Date }>): Promise<boolean> {
  return bounded("enqueueing", () => addPostsToQueue(ctx, items), { deliveryIds: items.map((i) => i.deliveryId) });
}

export function rescheduleDeliveries(ctx: AppContext, items: Array<{ deliveryId: string; scheduledAt: Date }>): Promise<boolean> {
  return bounded("rescheduling", () => Promise.all(items.map((i) => reschedulePostJob(ctx, i.deliveryId, i.scheduledAt))), {
    deliveryIds: items.map((i) => i.deliveryId),
  });
}

/** Cancelled deliveries whose job cannot be removed are harmless: the job finds them cancelled and skips. */
export function removeDeliveryJobs(ctx: AppContext, deliveryIds: string[]): Promise<boolean> {
  return bounded("removing jobs", () => Promise.all(deliveryIds.map((id) => removePostJob(ctx, id))), { deliveryIds });
}
