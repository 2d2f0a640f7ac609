import type { Job, Queue } from "bullmq";
import { z } from "zod";
import { queueCall } from "../queues/queueCall";
import type { AppContext } from "../context";
import { AppError, notFound } from "../errors";
import { POST_QUEUE, getPostQueue } from "../queues/postQueue";
import { TOKEN_REFRESH_QUEUE, getTokenRefreshQueue } from "../queues/tokenRefreshQueue";
import { retryDelivery } from "./retryDelivery";

/** POST /api/admin/jobs/retry. */
export const retryFailedJobBody = z.strictObject({ queue: z.string().min(1).max(100), jobId: z.string().min(1).max(200) });

export interface FailedJobView {
  queue: string;
  id: string;
  name: string;
  attemptsMade: number;
  failedReason: string | null;
  createdAt: string | null;
  finishedAt: string | null;
  deliveryId: string | null;
  accountId: string | null;
}

const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : null);

function queues(ctx: AppContext): Array<[string, Queue]> {
  return [
    [POST_QUEUE, getPostQueue(ctx) as Queue],
    [TOKEN_REFRESH_QUEUE, getTokenRefreshQueue(ctx) as Queue],
  ];
}

function view(queue: string, job: Job): FailedJobView {
  const data = (job.data ?? {}) as { deliveryId?: unknown; accountId?: unknown };
  return {
    queue,
    id: String(job.id),
    name: job.name,
    attemptsMade: job.attemptsMade,
    failedReason: job.failedReason || null,
    createdAt: iso(job.timestamp),
    finishedAt: iso(job.finishedOn),
    deliveryId: typeof data.deliveryId === "string" ? data.deliveryId : null,
    accountId: typeof data.accountId === "string" ? data.accountId : null,
  };
}

/** The most recent failed jobs of both queues, newest first. */
export async function listFailedJobs(ctx: AppContext, limit = 20): Promise<FailedJobView[]> {
  const lists = await queueCall("reading failed jobs", () =>
    Promise.all(
      queues(ctx).map(async ([name, q]) =>
        (await q.getJobs(["failed"], 0, limit - 1, false)).filter(Boolean).map((j) => view(name, j)),
      ),
    ),
  );
  return lists
    .flat()
    .sort((a, b) => (b.finishedAt ?? "").localeCompare(a.finishedAt ?? ""))
    .slice(0, limit);
}

/**
 * Retries a failed job. A publish job goes through the delivery (the database decides what is
 * published, the job only carries its id); a token refresh job is simply run again.
 */
export async function retryFailedJob(ctx: AppContext, queueName: string, jobId: string): Promise<{ retried: string }> {
  const entry = queues(ctx).find(([name]) => name === queueName);
  if (!entry) throw notFound("queue");
  const job = await queueCall("reading the job", () => entry[1].getJob(jobId));
  if (!job) throw notFound("job");
  const deliveryId = (job.data as { deliveryId?: unknown }).deliveryId;
  if (queueName === POST_QUEUE && typeof deliveryId === "string") {
    await retryDelivery(ctx, deliveryId, null);
    return { retried: jobId };
  }
  if (!(await job.isFailed())) throw new AppError("conflict", "the job is not failed (any more)");
  await job.retry("failed");
  return { retried: jobId };
}
