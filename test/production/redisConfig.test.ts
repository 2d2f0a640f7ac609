import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import type { RedisMemoryServer } from "redis-memory-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as queues } from "@/app/api/admin/queues/route";
import { POST as refresh } from "@/app/api/admin/refresh-tokens/route";
import { GET as health } from "@/app/api/health/route";
import { loadConfig } from "@/app/lib/config";
import { createAppContext, setAppContext, type AppContext } from "@/app/lib/context";
import { queueBackendSettings } from "@/app/lib/queues/backend";
import { getPostQueue } from "@/app/lib/queues/postQueue";
import { withTimeout } from "@/app/lib/queues/queueCall";
import { call } from "@/test/helpers/http";
import { startTestRedis } from "@/test/helpers/redis";
import { createTestUser } from "@/test/helpers/testContext";
import { createTestDatabase } from "@/test/helpers/testDb";

/** REDIS_URL and the hash-tagged prefix reach Redis as configured; producers fail fast when Redis is gone. */
describe("Redis configuration and Redis down", () => {
  let redis: RedisMemoryServer;
  let port: number;
  let testDb: Awaited<ReturnType<typeof createTestDatabase>>;
  let ctx: AppContext;
  const prefix = `{pm${randomBytes(3).toString("hex")}}`;

  beforeAll(async () => {
    redis = await startTestRedis();
    port = await redis.getPort();
    testDb = await createTestDatabase();
    const config = loadConfig({
      NODE_ENV: "test",
      LOG_LEVEL: "silent",
      REDIS_URL: `redis://127.0.0.1:${port}/0`,
      QUEUE_PREFIX: prefix,
    });
    expect(config.queue.backend).toBe("redis");
    const settings = queueBackendSettings(config, testDb.url);
    expect(settings).toMatchObject({ kind: "redis", prefix, redis: { url: `redis://127.0.0.1:${port}/0` } });
    ctx = createAppContext(config, { databaseUrl: testDb.url, secret: randomBytes(32).toString("hex"), queue: settings });
    setAppContext(ctx);
  });
  afterAll(async () => {
    setAppContext(undefined);
    // Closing a queue whose Redis is gone can wait forever; bounded, it only tidies up.
    await withTimeout(getPostQueue(ctx).close(), 2000).catch(() => {});
    await testDb.drop();
    await redis.stop().catch(() => {});
  });

  it("keeps every key of the posts queue under the configured hash-tagged prefix", async () => {
    await getPostQueue(ctx).add("publish", { deliveryId: "00000000-0000-4000-8000-000000000000" }, { jobId: "probe", delay: 60_000 });
    const raw = new Redis({ host: "127.0.0.1", port });
    const keys = await raw.keys("*");
    raw.disconnect();
    const postKeys = keys.filter((k) => k.includes(":posts:"));
    expect(postKeys.length).toBeGreaterThan(0);
    for (const key of postKeys) expect(key.startsWith(`${prefix}:posts:`)).toBe(true);
  });

  it("answers 503 within seconds, never hangs, when Redis is down", async () => {
    const admin = await createTestUser(ctx, "admin");
    await redis.stop();
    for (const [name, run] of [
      ["health", () => call(health)],
      ["queues", () => call(queues, { token: admin.token })],
      ["refresh", () => call(refresh, { method: "POST", token: admin.token, body: {} })],
    ] as const) {
      const started = Date.now();
      const res = await run();
      expect({ name, status: res.status }).toEqual({ name, status: 503 });
      expect(Date.now() - started).toBeLessThan(5000);
    }
  }, 30_000);
});
