import type { Queue } from "bullmq";
import { getAppContext, type AppContext } from "../context";

export const POST_QUEUE = "posts";

/** Job data holds ids only; the handler re-reads the rows. */
export interface PostJobData {
  deliveryId: string;
}

const queues = new WeakMap<AppContext, Queue<PostJobData>>();

export function initPostQueue(ctx: AppContext = getAppContext()): Queue<PostJobData> {
  let queue = queues.get(ctx);
  if (!queue) {
    queue = ctx.queues.createQueue<PostJobData>(POST_QUEUE);
    queues.set(ctx, queue);
  }
  return queue;
}

export function getPostQueue(ctx: AppContext = getAppContext()): Queue<PostJobData> {
  return queues.get(ctx) ?? initPostQueue(ctx);
}
