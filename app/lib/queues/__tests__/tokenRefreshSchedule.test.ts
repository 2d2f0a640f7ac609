import { randomBytes } from "node:crypto";
import type { Queue, Worker } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "@/app/lib/config";
import { createAppContext, type AppContext } from "@/app/lib/context";
import { WEEKLY_TOKEN_REFRESH_ID, ensureJobScheduler } from "@/app/lib/queues/setupScheduledJobs";
import {
  REFRESH_ACCOUNT_JOB,
  getTokenRefreshQueue,
  initTokenRefreshQueue,
  processRefreshAllTokensJob,
  refreshAccountTokens,
  refreshAllBlueskyTokens,
  scheduleRegularTokenRefreshes,
} from "@/app/lib/queues/tokenRefreshQueue";
import { createTokenRefreshWorker } from "@/app/lib/queues/worker";
import { BACKENDS } from "@/test/helpers/queueBackends";
import { createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";
import { redisConnection } from "@/test/helpers/testDb";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe.each(BACKENDS)("token refresh schedule and fan-out (queue backend %s)", (kind) => {
  let t: TestContext;
  const restarts: AppContext[] = [];

  /** A new process on the same database and queue namespace, as after a restart. */
  const restart = (): AppContext => {
    const ctx = createAppContext(loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", QUEUE_BACKEND: kind }), {
      databaseUrl: t.databaseUrl,
      secret: t.secret,
      queue:
        kind === "redis"
          ? { kind, redis: redisConnection(), prefix: t.prefix }
          : { kind, postgres: { connectionString: t.databaseUrl, schema: "bullmq" } },
    });
    restarts.push(ctx);
    return ctx;
  };

  beforeAll(async () => {
    t = await createTestContext(kind);
  });
  afterAll(async () => {
    for (const ctx of [t.ctx, ...restarts]) {
      await getTokenRefreshQueue(ctx).close();
      if (ctx !== t.ctx) await ctx.database.close();
    }
    await t?.close();
  });

  it("exists once, Sundays at 00:00 with limit 52, after three restarts (two of them at the same moment)", async () => {
    await scheduleRegularTokenRefreshes(restart());
    await Promise.all([scheduleRegularTokenRefreshes(restart()), scheduleRegularTokenRefreshes(restart())]);
    const queue = getTokenRefreshQueue(t.ctx);
    const schedulers = await queue.getJobSchedulers();
    expect(schedulers).toHaveLength(1);
    const s = schedulers[0]!;
    expect(s).toMatchObject({ key: WEEKLY_TOKEN_REFRESH_ID, pattern: "0 0 * * 0", tz: "UTC", limit: 52, iterationCount: 1 });
    const next = new Date(s.next!);
    expect(next.getUTCDay()).toBe(0);
    expect(next.getUTCHours() + next.getUTCMinutes() + next.getUTCSeconds()).toBe(0);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(7 * 24 * 3600_000);
    // One pending run, not one per start.
    expect((await queue.getJobCounts("delayed", "waiting")).delayed).toBe(1);
  });

  it("starts the next schedule when the runs of one are spent (short interval, limit 3)", async () => {
    const queue = getTokenRefreshQueue(t.ctx);
    await queue.removeJobScheduler(WEEKLY_TOKEN_REFRESH_ID);
    const renewals: boolean[] = [];
    const worker = createTokenRefreshWorker(t.ctx);
    worker.on("completed", (job) => {
      if (job.repeatJobKey) renewals.push((job.returnvalue as { renewedSchedule: boolean }).renewedSchedule);
    });
    await scheduleRegularTokenRefreshes(t.ctx, { every: 300, limit: 3 });
    // Seven runs are only possible if the schedule was renewed twice after three runs each.
    await until("seven scheduled runs", async () => renewals.length >= 7);
    await worker.close();
    // Every third run renews (completion order may interleave two runs: concurrency 2).
    expect(renewals.filter(Boolean).length, JSON.stringify(renewals)).toBeGreaterThanOrEqual(2);
    expect(renewals.slice(0, 2), JSON.stringify(renewals)).toEqual([false, false]);
    const schedulers = await queue.getJobSchedulers();
    expect(schedulers).toHaveLength(1);
    expect(schedulers[0]).toMatchObject({ key: WEEKLY_TOKEN_REFRESH_ID, every: 300, limit: 3 });
    await queue.removeJobScheduler(WEEKLY_TOKEN_REFRESH_ID);
  });

  it("renews a spent schedule at start when its last run was never followed up", async () => {
    const queue = getTokenRefreshQueue(t.ctx) as Queue;
    const id = `spent-${randomBytes(3).toString("hex")}`;
    // A plain worker that does not renew: the schedule of 2 runs ends and stays spent.
    const seen: string[] = [];
    const worker: Worker = t.ctx.queues.createWorker("token-refresh", async (job) => {
      if (job.repeatJobKey === id) seen.push(String(job.id));
    });
    const template = { name: "noop", data: {} };
    await ensureJobScheduler(t.ctx, queue, id, { every: 200, limit: 2 }, template);
    await until("two runs", async () => seen.length >= 2);
    await sleep(300);
    expect((await queue.getJobScheduler(id))?.iterationCount).toBe(2);
    await ensureJobScheduler(t.ctx, queue, id, { every: 200, limit: 2 }, template);
    await until("a run of the new schedule", async () => seen.length >= 3);
    await worker.close();
    await queue.removeJobScheduler(id);
  });

  it("refresh-all queues one job per active Bluesky account, de-duplicated however often it is asked", async () => {
    const { user } = await createTestUser(t.ctx);
    const insert = (status: string) =>
      t.ctx.database.pool.query<{ id: string }>(
        `INSERT INTO social_accounts (user_id, platform, remote_id, handle, instance_url, credentials, status)
         VALUES ($1, 'bluesky', $2, $3, 'http://127.0.0.1:9', 'x', $4) RETURNING id`,
        [user.id, `did:plc:${randomBytes(8).toString("hex")}`, `h${randomBytes(4).toString("hex")}.test`, status],
      );
    const active = await Promise.all(Array.from({ length: 5 }, () => insert("active")));
    await insert("needs_reauth");
    await insert("disabled");
    const queue = initTokenRefreshQueue(t.ctx);
    await queue.drain(true);

    // A storm of admin requests: one refresh-all job.
    const asked = await Promise.all(Array.from({ length: 20 }, () => refreshAllBlueskyTokens(t.ctx)));
    expect(new Set(asked.map((a) => a.jobId)).size).toBe(1);
    expect(asked[0]!.jobId).not.toContain(":");

    // The fan-out, twice (the weekly run overlapping a manual one), plus single-account requests.
    const first = await processRefreshAllTokensJob(t.ctx, {});
    await processRefreshAllTokensJob(t.ctx, { trigger: "schedule" });
    await Promise.all(active.map((r) => refreshAccountTokens(t.ctx, r.rows[0]!.id)));
    expect(first.enqueued).toBe(5);
    const waiting = await queue.getJobs(["waiting", "prioritized"]);
    const perAccount = waiting.filter((j) => j.name === REFRESH_ACCOUNT_JOB);
    expect(perAccount).toHaveLength(5);
    expect(new Set(perAccount.map((j) => (j.data as { accountId: string }).accountId))).toEqual(
      new Set(active.map((r) => r.rows[0]!.id)),
    );
    for (const j of perAccount) {
      expect(Object.keys(j.data)).toEqual(["accountId"]);
      expect(j.opts).toMatchObject({ attempts: 4, backoff: { type: "exponential" }, removeOnFail: { count: 1000 } });
    }
    await queue.drain(true);
  });
});
