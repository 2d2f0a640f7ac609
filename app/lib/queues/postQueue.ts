import type { Job, JobsOptions, Queue } from "bullmq";
import { z } from "zod";
import type { AppContext } from "../context";
import { runPostDelivery } from "./processDelivery";

export const POST_QUEUE = "posts";
export const PUBLISH_JOB = "publish";

/** Job data holds ids only; the handler re-reads the rows. */
export const postJobDataSchema = z.object({ deliveryId: z.uuid() });
export type PostJobData = z.infer<typeof postJobDataSchema>;

export interface PostQueueOptions {
  /** First retry delay; doubles per attempt (with jitter). Tests shorten it. */
  retryDelayMs?: number;
}

/** Opens the context's post queue (once) and sets its retry delay. */
export function initPostQueue(ctx: AppContext, opts: PostQueueOptions = {}): Queue<PostJobData> {
  const open = ctx.openQueues.posts;
  const retryDelayMs = opts.retryDelayMs ?? open?.retryDelayMs ?? 5_000;
  const queue = open?.queue ?? ctx.queues.createQueue<PostJobData>(POST_QUEUE);
  ctx.openQueues.posts = { queue, retryDelayMs };
  return queue;
}

export function getPostQueue(ctx: AppContext): Queue<PostJobData> {
  return ctx.openQueues.posts?.queue ?? initPostQueue(ctx);
}

/** BullMQ job ids may not contain ':'; a delivery id (uuid) never does, and it makes add() idempotent. */
export const postJobId = (deliveryId: string) => `delivery-${deliveryId}`;

/**
 * Completed jobs are kept for an hour (the deliveries and delivery_attempts tables are the
 * history users see) and then removed in batches by the reconciler's pass (every
 * RECONCILE_INTERVAL_SECONDS), not by BullMQ on completion: removal on completion runs a
 * retention DELETE inside every job's completion on the PostgreSQL backend, measured at
 * ~0.27 ms of server time per job (by age; by count 1–1.8 ms). Failed jobs: the seed's 1000
 * entries (failures are few, so BullMQ trims those itself).
 */
export const COMPLETED_POST_JOBS_KEPT_MS = 3600_000;
export const REMOVE_COMPLETED_POST_JOBS = false;
export const FAILED_POST_JOBS_KEPT = { count: 1000 };
/** Jobs removed per call: each is one Redis script (or one statement), kept short so workers are not held up. */
const CLEAN_BATCH = 1000;

function jobOptions(ctx: AppContext, deliveryId: string, scheduledAt: Date): JobsOptions {
  const retryDelayMs = ctx.openQueues.posts?.retryDelayMs ?? 5_000;
  return {
    jobId: postJobId(deliveryId),
    delay: Math.max(0, scheduledAt.getTime() - Date.now()),
    // "Retried 3 times": four attempts in all, exponential backoff with jitter so a burst
    // that failed together does not retry together.
    attempts: 4,
    backoff: { type: "exponential", delay: retryDelayMs, jitter: 0.5 },
    removeOnComplete: REMOVE_COMPLETED_POST_JOBS,
    removeOnFail: FAILED_POST_JOBS_KEPT,
  };
}

/**
 * Adds one delivery's publish job. Adding the same delivery twice is a no-op while its
 * job exists (the job id is derived from the delivery id).
 */
export async function addPostToQueue(
  ctx: AppContext,
  postData: PostJobData,
  scheduledAt: Date,
): Promise<Job<PostJobData>> {
  const data = postJobDataSchema.parse(postData);
  return getPostQueue(ctx).add(PUBLISH_JOB, data, jobOptions(ctx, data.deliveryId, scheduledAt));
}

/**
 * Many deliveries at once (one round trip on Redis). One delivery — the usual post — is a
 * plain add: on PostgreSQL BullMQ's addBulk builds and drops two temporary tables per call
 * (~25 ms of server time against ~1.5 ms for add), and on Redis it costs a pipeline and a bulk
 * job builder for nothing. One insert either way, so just as atomic.
 */
export async function addPostsToQueue(
  ctx: AppContext,
  items: Array<{ deliveryId: string; scheduledAt: Date }>,
): Promise<void> {
  const [only] = items;
  if (!only) return;
  if (items.length === 1) {
    await addPostToQueue(ctx, { deliveryId: only.deliveryId }, only.scheduledAt);
    return;
  }
  await getPostQueue(ctx).addBulk(
    items.map((i) => ({ name: PUBLISH_JOB, data: { deliveryId: i.deliveryId }, opts: jobOptions(ctx, i.deliveryId, i.scheduledAt) })),
  );
}

/** Removes the completed post jobs older than `keptMs` (the reconciler's pass: COMPLETED_POST_JOBS_KEPT_MS); answers how many. */
export async function removeOldCompletedPostJobs(ctx: AppContext, keptMs: number): Promise<number> {
  const queue = getPostQueue(ctx);
  let removed = 0;
  for (;;) {
    const ids = await queue.clean(keptMs, CLEAN_BATCH, "completed");
    removed += ids.length;
    if (ids.length < CLEAN_BATCH) return removed;
  }
}

/**
 * Removes a delivery's job. A job a worker holds right now cannot be removed: that worker
 * re-reads the delivery and acts on what it finds (cancelled → skip, later time → re-delay).
 * Returns false in that case.
 */
export async function removePostJob(ctx: AppContext, deliveryId: string): Promise<boolean> {
  const job = await getPostQueue(ctx).getJob(postJobId(deliveryId));
  if (!job) return true;
  try {
    await job.remove();
    return true;
  } catch {
    return false;
  }
}

/** Moves a delivery's job to a new time: the old job is replaced, never duplicated. */
export async function reschedulePostJob(ctx: AppContext, deliveryId: string, scheduledAt: Date): Promise<void> {
  if (await removePostJob(ctx, deliveryId)) await addPostToQueue(ctx, { deliveryId }, scheduledAt);
}

/**
 * The seed's job handler. `job` and `token` are there when a BullMQ worker calls it (they let
 * a rate-limited job wait without spending an attempt); without them it runs one attempt.
 */
export async function processPostJob(
  ctx: AppContext,
  jobData: PostJobData,
  job?: Job<PostJobData>,
  token?: string,
): Promise<string> {
  const data = postJobDataSchema.parse(jobData);
  return runPostDelivery(ctx, data.deliveryId, job, token);
}
