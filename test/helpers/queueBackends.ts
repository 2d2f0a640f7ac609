import { randomBytes } from "node:crypto";
import { createQueueBackend, type QueueBackend } from "@/app/lib/queues/backend";
import { redisConnection } from "./testDb";

export const BACKENDS = ["redis", "postgres"] as const;

/** A queue backend isolated for one suite: its own Redis prefix, or the suite's own database. */
export function testQueueBackend(kind: (typeof BACKENDS)[number], databaseUrl: string): QueueBackend {
  return kind === "redis"
    ? createQueueBackend({ kind, redis: redisConnection(), prefix: `{t${randomBytes(4).toString("hex")}}` })
    : createQueueBackend({ kind, postgres: { connectionString: databaseUrl, schema: "bullmq" } });
}
