import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { GET as health } from "@/app/api/health/route";
import { createAppContext, setAppContext, type AppContext } from "../context";
import { loadConfig } from "../config";
import { createDatabase } from "../db/client";
import { migrateDatabase } from "../db/migrate";
import { getPostQueue } from "../queues/postQueue";
import { withTimeout } from "../queues/queueCall";
import { call } from "@/test/helpers/http";
import { startTestPostgres } from "@/test/helpers/embeddedPg";
import { startTestRedis } from "@/test/helpers/redis";
import { createTestDatabase } from "@/test/helpers/testDb";
import { BACKENDS } from "@/test/helpers/queueBackends";

/** Each backend gets a queue store of its own that the test can stop, so "down" is real. */
async function contextWithStoppableQueue(kind: (typeof BACKENDS)[number]) {
  const testDb = await createTestDatabase();
  const config = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", QUEUE_BACKEND: kind });
  const secret = randomBytes(32).toString("hex");
  if (kind === "redis") {
    const redis = await startTestRedis();
    const ctx = createAppContext(config, {
      databaseUrl: testDb.url,
      secret,
      queue: { kind, redis: { host: "127.0.0.1", port: await redis.getPort(), maxRetriesPerRequest: null }, prefix: "{h}" },
    });
    return { ctx, testDb, stopQueueStore: () => redis.stop() };
  }
  const queuePg = await startTestPostgres();
  const queueDb = createDatabase(queuePg.url("postgres"));
  await migrateDatabase(queueDb);
  await queueDb.close();
  const ctx = createAppContext(config, {
    databaseUrl: testDb.url,
    secret,
    queue: { kind, postgres: { connectionString: queuePg.url("postgres"), schema: "bullmq" } },
  });
  return { ctx, testDb, stopQueueStore: () => queuePg.close() };
}

describe.each(BACKENDS)("GET /api/health with queues on %s", (kind) => {
  let ctx: AppContext | undefined;
  afterAll(() => setAppContext(undefined));

  it("answers 200 while everything is up and 503 naming the queue once its store stops", async () => {
    const env = await contextWithStoppableQueue(kind);
    ctx = env.ctx;
    setAppContext(ctx);

    const up = await call(health);
    expect(up.status).toBe(200);
    expect(up.body).toEqual({ status: "ok", db: "ok", queue: "ok", queueBackend: kind });

    await env.stopQueueStore();
    const down = await call(health);
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ db: "ok", queue: "down", queueBackend: kind });

    // Closing a queue whose store is gone can wait forever; the test only needs it out of the way.
    await withTimeout(getPostQueue(ctx).close(), 2000).catch(() => {});
    await env.testDb.drop();
    const dbDown = await call(health);
    expect(dbDown.status).toBe(503);
    expect(dbDown.body.db).toBe("down");
  });
});
