import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RedisMemoryServer } from "redis-memory-server";
import { startTestRedis } from "@/test/helpers/redis";
import { redisSettingWarnings } from "../redisChecks";

describe("Redis settings warnings", () => {
  let server: RedisMemoryServer;
  let port: number;
  beforeAll(async () => {
    server = await startTestRedis();
    port = await server.getPort();
  });
  afterAll(async () => {
    await server.stop();
  });

  it("warns about eviction and missing persistence, and is quiet once both are right", async () => {
    const admin = new Redis({ host: "127.0.0.1", port });
    await admin.config("SET", "maxmemory-policy", "allkeys-lru");
    await admin.config("SET", "appendonly", "no");
    await admin.config("SET", "save", "");

    const bad = await redisSettingWarnings({ host: "127.0.0.1", port });
    expect(bad).toHaveLength(2);
    expect(bad[0]).toMatch(/maxmemory-policy is "allkeys-lru"/);
    expect(bad[1]).toMatch(/persistence is off/);

    await admin.config("SET", "maxmemory-policy", "noeviction");
    await admin.config("SET", "appendonly", "yes");
    expect(await redisSettingWarnings({ host: "127.0.0.1", port })).toEqual([]);
    admin.disconnect();
  });

  it("fails clearly when Redis is not there", async () => {
    await expect(redisSettingWarnings({ host: "127.0.0.1", port: 9 })).rejects.toThrow();
  });
});
