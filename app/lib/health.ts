import { sql } from "drizzle-orm";
import type { AppContext } from "./context";
import { getPostQueue } from "./queues/postQueue";
import { withTimeout } from "./queues/queueCall";

export interface Health {
  status: "ok" | "degraded";
  db: "ok" | "down";
  queue: "ok" | "down";
  queueBackend: AppContext["queues"]["kind"];
}

const CHECK_TIMEOUT_MS = 2000;

async function probe(check: () => Promise<unknown>): Promise<"ok" | "down"> {
  try {
    await withTimeout(check(), CHECK_TIMEOUT_MS);
    return "ok";
  } catch {
    return "down";
  }
}

/** Is the database answering, and is the queue store answering? Each check is bounded in time. */
export async function checkHealth(ctx: AppContext): Promise<Health> {
  const [db, queue] = await Promise.all([
    probe(() => ctx.database.db.execute(sql`select 1`)),
    probe(() => getPostQueue(ctx).getJobCounts("waiting")),
  ]);
  return { status: db === "ok" && queue === "ok" ? "ok" : "degraded", db, queue, queueBackend: ctx.queues.kind };
}
