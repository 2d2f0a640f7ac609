import type { Queue } from "bullmq";
import { QUEUE_ANSWER_MS, withTimeout } from "../queues/queueCall";
import type { AppContext } from "../context";
import { POST_QUEUE, getPostQueue } from "../queues/postQueue";
import { TOKEN_REFRESH_QUEUE, getTokenRefreshQueue } from "../queues/tokenRefreshQueue";

export interface WorkersView {
  /** Workers connected to each queue right now. */
  queues: Record<string, number>;
  alive: boolean;
}

/**
 * Whether a worker process is alive, asked of BullMQ itself: on Redis it lists the workers'
 * named connections, on PostgreSQL their sessions (application_name). A killed worker's
 * connection disappears with it, so this is a heartbeat the store keeps for us.
 */
export async function getWorkers(ctx: AppContext): Promise<WorkersView> {
  const entries: Array<[string, Queue]> = [
    [POST_QUEUE, getPostQueue(ctx) as Queue],
    [TOKEN_REFRESH_QUEUE, getTokenRefreshQueue(ctx) as Queue],
  ];
  const counts = await Promise.all(
    entries.map(([, q]) => withTimeout(q.getWorkersCount(), QUEUE_ANSWER_MS).catch(() => 0)),
  );
  return { queues: Object.fromEntries(entries.map(([n], i) => [n, counts[i] ?? 0])), alive: (counts[0] ?? 0) > 0 };
}
