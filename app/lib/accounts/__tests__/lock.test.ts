import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountLockTimeoutError, withAccountLock } from "@/app/lib/accounts/lock";
import { loadConfig } from "@/app/lib/config";
import { createAppContext, type AppContext } from "@/app/lib/context";
import { BACKENDS, testQueueBackend } from "@/test/helpers/queueBackends";
import { waitForAdvisoryLock } from "@/test/helpers/locks";
import { createTestContext, type TestContext } from "@/test/helpers/testContext";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Counts how many callers are inside the critical section at once. */
function overlapMeter() {
  let inside = 0;
  let peak = 0;
  return {
    get peak() {
      return peak;
    },
    async enter(holdMs: number) {
      inside += 1;
      peak = Math.max(peak, inside);
      await sleep(holdMs);
      inside -= 1;
    },
  };
}

describe.each(BACKENDS)("account lock (queue backend %s)", (kind) => {
  let t: TestContext;
  // A second context on the same database: what another process or machine would be.
  let other: AppContext;

  beforeAll(async () => {
    t = await createTestContext(kind);
    const config = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", QUEUE_BACKEND: kind });
    other = createAppContext(config, { databaseUrl: t.databaseUrl, secret: t.secret, queue: { kind: "postgres", postgres: { connectionString: t.databaseUrl, schema: "bullmq" } } });
    void testQueueBackend;
  });
  afterAll(async () => {
    await other?.database.close();
    await t?.close();
  });

  it("lets one holder at a time in, in one process and across processes", async () => {
    const id = randomUUID();
    const meter = overlapMeter();
    const calls = Array.from({ length: 40 }, (_, i) => withAccountLock(i % 2 ? t.ctx : other, id, () => meter.enter(5)));
    await Promise.all(calls);
    expect(meter.peak).toBe(1);
  });

  it("does not serialise different accounts", async () => {
    const meter = overlapMeter();
    await Promise.all([randomUUID(), randomUUID(), randomUUID()].map((id) => withAccountLock(t.ctx, id, () => meter.enter(200))));
    expect(meter.peak).toBe(3);
  });

  it("gives up after the bounded wait with a clear error, and the lock still works afterwards", async () => {
    const id = randomUUID();
    let release!: () => void;
    const held = withAccountLock(t.ctx, id, () => new Promise<void>((r) => (release = r)));
    await waitForAdvisoryLock(t.ctx.database.pool);
    const started = Date.now();
    const elsewhere = withAccountLock(other, id, async () => "never", { waitMs: 300 });
    const here = withAccountLock(t.ctx, id, async () => "never", { waitMs: 300 });
    // Both settle around the same moment: collect them together so neither is ever unhandled.
    const [fromElsewhere, fromHere] = await Promise.allSettled([elsewhere, here]);
    expect(fromElsewhere.status === "rejected" && fromElsewhere.reason).toBeInstanceOf(AccountLockTimeoutError);
    expect(fromHere.status === "rejected" && String(fromHere.reason)).toMatch(/busy/);
    expect(Date.now() - started).toBeLessThan(2000);
    release();
    await held;
    await expect(withAccountLock(other, id, async () => "ok", { waitMs: 2000 })).resolves.toBe("ok");
    await expect(withAccountLock(t.ctx, id, async () => "ok", { waitMs: 2000 })).resolves.toBe("ok");
  });

  it("is released by PostgreSQL when the holder's connection dies", async () => {
    const id = randomUUID();
    let release!: () => void;
    const held = withAccountLock(other, id, () => new Promise<void>((r) => (release = r)));
    await waitForAdvisoryLock(t.ctx.database.pool);
    // What a crashed process looks like to the database: its session ends.
    const killed = await t.ctx.database.pool.query(
      "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    );
    expect(killed.rowCount).toBeGreaterThan(0);
    await expect(withAccountLock(t.ctx, id, async () => "taken over", { waitMs: 5000 })).resolves.toBe("taken over");
    release();
    // The holder is told: whatever it wrote in the lock's transaction went with the session.
    await expect(held).rejects.toThrow();
  });
});
