import { describe, expect, it } from "vitest";
import { ConfigError, describeBackends, loadConfig } from "../config";

describe("config", () => {
  it("defaults to the embedded database and PostgreSQL queues when nothing is set", () => {
    const c = loadConfig({});
    expect(c.databaseUrl).toBeUndefined();
    expect(c.queue.backend).toBe("postgres");
    expect(c.port).toBe(3000);
    expect(c.dataDir).toBe("./data");
    expect(c.queue.redis).toMatchObject({ host: "localhost", port: 6379 });
    expect(c.concurrency).toEqual({ posts: 5, tokenRefresh: 2 });
    expect(c.tokenRefreshTimeZone).toBe("UTC");
  });

  it("queues on Redis as soon as REDIS_HOST or REDIS_URL is set", () => {
    expect(loadConfig({ REDIS_HOST: "cache.internal" }).queue.backend).toBe("redis");
    expect(loadConfig({ REDIS_URL: "rediss://:pw@cache:6380" }).queue.backend).toBe("redis");
    expect(loadConfig({ REDIS_HOST: "cache", QUEUE_BACKEND: "postgres" }).queue.backend).toBe("postgres");
  });

  it("treats empty strings as unset", () => {
    const c = loadConfig({ REDIS_HOST: "", DATABASE_URL: "", PORT: "" });
    expect(c.queue.backend).toBe("postgres");
    expect(c.databaseUrl).toBeUndefined();
    expect(c.port).toBe(3000);
  });

  it("lists every bad variable in one message", () => {
    let error: unknown;
    try {
      loadConfig({
        QUEUE_BACKEND: "kafka",
        REDIS_PORT: "seventy",
        PORT: "99999",
        DATABASE_URL: "mysql://x",
        POSTMORE_SECRET: "short",
        TOKEN_REFRESH_TZ: "Mars/Olympus",
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of ["QUEUE_BACKEND", "REDIS_PORT", "PORT", "DATABASE_URL", "POSTMORE_SECRET", "TOKEN_REFRESH_TZ"]) {
      expect(message).toContain(name);
    }
    expect((error as ConfigError).problems).toHaveLength(6);
  });

  it("describes the backends without leaking passwords", () => {
    const text = describeBackends(
      loadConfig({ DATABASE_URL: "postgres://u:hunter2@db/x", REDIS_URL: "redis://:s3cret@cache:6379" }),
    );
    expect(text).toContain("Redis");
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("s3cret");
  });
});
