import { describe, expect, it } from "vitest";
import { ConfigError, describeBackends, loadConfig } from "@/app/lib/config";
import { queueBackendSettings } from "@/app/lib/queues/backend";

/** The production settings of docs/PRODUCTION.md, as loadConfig reads them. */
describe("production settings", () => {
  it("refuses REDIS_CLUSTER_NODES with a prefix that has no hash tag", () => {
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: "10.0.0.1:6379", QUEUE_PREFIX: "postmore" })).toThrow(
      /QUEUE_PREFIX="postmore": expected a hash tag/,
    );
    const config = loadConfig({ REDIS_CLUSTER_NODES: "10.0.0.1:6379,10.0.0.2:6380" });
    expect(config.queue.backend).toBe("redis");
    expect(queueBackendSettings(config, "postgres://x@db/x")).toMatchObject({
      kind: "redis",
      prefix: "{postmore}",
      cluster: { nodes: [{ host: "10.0.0.1", port: 6379 }, { host: "10.0.0.2", port: 6380 }] },
    });
  });

  it("keeps URL passwords out of configuration errors", () => {
    let error: unknown;
    try {
      loadConfig({ DATABASE_URL: "postgres://app:hunter2@db1,db2/postmore" });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toContain("postgres://app:***@db1,db2/postmore");
    expect(String(error)).not.toContain("hunter2");
  });

  it("sizes the pools from DATABASE_POOL_MAX and QUEUE_DATABASE_POOL_MAX", () => {
    const config = loadConfig({ QUEUE_BACKEND: "postgres", DATABASE_POOL_MAX: "4", QUEUE_DATABASE_POOL_MAX: "2" });
    expect(config.databasePoolMax).toBe(4);
    expect(queueBackendSettings(config, "postgres://x@db/x")).toMatchObject({ kind: "postgres", postgres: { max: 2 } });
    expect(() => loadConfig({ DATABASE_POOL_MAX: "0" })).toThrow(/DATABASE_POOL_MAX/);
  });

  it("gives the Sentinels their own password and TLS, and names them at start-up", () => {
    const config = loadConfig({
      REDIS_SENTINELS: "s1:26379,s2:26379",
      REDIS_PASSWORD: "data-secret",
      REDIS_SENTINEL_PASSWORD: "sentinel-secret",
      REDIS_SENTINEL_TLS: "true",
    });
    expect(queueBackendSettings(config, "postgres://x@db/x").redis).toMatchObject({
      password: "data-secret",
      sentinelPassword: "sentinel-secret",
      sentinelTLS: {},
    });
    const line = describeBackends(config);
    expect(line).toContain('Redis master "mymaster" via Sentinels s1:26379,s2:26379');
    expect(line).not.toMatch(/secret|localhost:6379/);
  });
});
