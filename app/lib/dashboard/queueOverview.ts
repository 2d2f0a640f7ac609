import type { JobSchedulerJson, Queue } from "bullmq";
import type { AppContext } from "../context";
import { queueCall } from "../queues/queueCall";
import { POST_QUEUE, getPostQueue } from "../queues/postQueue";
import { TOKEN_REFRESH_QUEUE, getTokenRefreshQueue } from "../queues/tokenRefreshQueue";

export interface QueueCounts {
  waiting: number;
  delayed: number;
  active: number;
  completed: number;
  failed: number;
}

export interface SchedulerView {
  id: string;
  queue: string;
  pattern: string | null;
  every: number | null;
  tz: string | null;
  limit: number | null;
  /** Runs created so far in the current schedule (counting the pending one). */
  iterations: number;
  /** The next run (ISO 8601, UTC), or null when the schedule is spent. */
  next: string | null;
}

export interface QueueOverview {
  queues: Record<string, QueueCounts>;
  schedulers: SchedulerView[];
}

async function countsOf(queue: Queue): Promise<QueueCounts> {
  const c = await queue.getJobCounts("waiting", "prioritized", "delayed", "active", "completed", "failed");
  // Prioritized jobs are waiting too, just in a different order.
  return {
    waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
    delayed: c.delayed ?? 0,
    active: c.active ?? 0,
    completed: c.completed ?? 0,
    failed: c.failed ?? 0,
  };
}

function schedulerView(queue: string, s: JobSchedulerJson): SchedulerView {
  const spent = s.limit !== undefined && (s.iterationCount ?? 0) >= s.limit && (s.next ?? 0) <= Date.now();
  return {
    id: s.key,
    queue,
    pattern: s.pattern ?? null,
    every: s.every ?? null,
    tz: s.tz ?? null,
    limit: s.limit ?? null,
    iterations: s.iterationCount ?? 0,
    next: s.next && !spent ? new Date(s.next).toISOString() : null,
  };
}

/** GET /api/admin/queues: job counts per queue and every job scheduler with its next run. */
export function getQueueOverview(ctx: AppContext): Promise<QueueOverview> {
  return queueCall("reading the queues", () => readOverview(ctx));
}

async function readOverview(ctx: AppContext): Promise<QueueOverview> {
  const queues: Array<[string, Queue]> = [
    [POST_QUEUE, getPostQueue(ctx) as Queue],
    [TOKEN_REFRESH_QUEUE, getTokenRefreshQueue(ctx) as Queue],
  ];
  const counts = await Promise.all(queues.map(([, q]) => countsOf(q)));
  const schedulers = await Promise.all(
    queues.map(async ([name, q]) => (await q.getJobSchedulers(0, -1, true)).map((s) => schedulerView(name, s))),
  );
  return {
    queues: Object.fromEntries(queues.map(([name], i) => [name, counts[i]!])),
    schedulers: schedulers.flat(),
  };
}
