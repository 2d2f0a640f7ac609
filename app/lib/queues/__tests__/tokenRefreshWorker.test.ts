import type { Job, Worker } from "bullmq";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { connectAccount } from "@/app/lib/accounts/connectAccount";
import { sealCredentials } from "@/app/lib/accounts/publicAccount";
import { ensureFreshSession } from "@/app/lib/accounts/refresh";
import { loadPlatformAccount } from "@/app/lib/accounts/service";
import { RateLimitedError } from "@/app/lib/api/platformErrors";
import { getPlatformService, registerPlatformService } from "@/app/lib/api/services/apiManager";
import type { BlueSkyService } from "@/app/lib/api/services/blueSkyService";
import {
  getTokenRefreshQueue,
  initTokenRefreshQueue,
  refreshAccountTokens,
  refreshAllBlueskyTokens,
  type TokenRefreshJobData,
} from "@/app/lib/queues/tokenRefreshQueue";
import { createTokenRefreshWorker } from "@/app/lib/queues/worker";
import { meterRefreshes, type RefreshMeter } from "@/test/helpers/countingPlatform";
import { freePort } from "@/test/helpers/freePort";
import { startTestPds, type TestPds } from "@/test/helpers/pds";
import { BACKENDS } from "@/test/helpers/queueBackends";
import { createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

let pds: TestPds;
beforeAll(async () => {
  pds = await startTestPds();
});
afterAll(async () => {
  await pds?.close();
});

describe.each(BACKENDS)("token refresh worker against a real PDS (queue backend %s)", (kind) => {
  let t: TestContext;
  let userId: string;
  let worker: Worker<TokenRefreshJobData> | undefined;
  let meter: RefreshMeter | undefined;

  const connect = async () => {
    const acct = await pds.createAccount("wk");
    const { account } = await connectAccount(t.ctx, userId, {
      platform: "bluesky",
      identifier: acct.handle,
      appPassword: acct.appPassword,
      service: pds.url,
    });
    return { id: account.id, acct };
  };
  const settled = (jobId: string) => async () => {
    const job = await getTokenRefreshQueue(t.ctx).getJob(jobId);
    return job ? (await job.isCompleted()) || (await job.isFailed()) : false;
  };

  beforeAll(async () => {
    t = await createTestContext(kind, { ATPROTO_TIMEOUT_MS: "5000", ATPROTO_PLC_URL: pds.plcUrl, ATPROTO_HANDLE_RESOLVER_URL: pds.url });
    initTokenRefreshQueue(t.ctx, { retryDelayMs: 200 });
    userId = (await createTestUser(t.ctx)).user.id;
  });
  afterEach(async () => {
    await worker?.close();
    worker = undefined;
    meter?.restore();
    meter = undefined;
  });
  afterAll(async () => {
    await getTokenRefreshQueue(t.ctx).close();
    await t?.close();
  });

  it("refresh-all rotates every active account's tokens through the queue, one refresh per account", async () => {
    const accounts = await Promise.all([connect(), connect(), connect()]);
    const before = await Promise.all(accounts.map((a) => loadPlatformAccount(t.ctx, a.id)));
    meter = meterRefreshes([t.ctx]);
    worker = createTokenRefreshWorker(t.ctx);
    const asked = new Date();
    await refreshAllBlueskyTokens(t.ctx);
    await until("every account refreshed", async () => {
      const now = await Promise.all(accounts.map((a) => loadPlatformAccount(t.ctx, a.id)));
      return now.every((a) => (a.lastRefreshedAt?.getTime() ?? 0) >= asked.getTime());
    });
    const after = await Promise.all(accounts.map((a) => loadPlatformAccount(t.ctx, a.id)));
    after.forEach((a, i) => {
      expect(a.credentials.refreshJwt).not.toBe(before[i]!.credentials.refreshJwt);
      expect(a.status).toBe("active");
    });
    const errors = await t.ctx.database.pool.query("SELECT last_error FROM social_accounts WHERE id = ANY($1::uuid[])", [accounts.map((a) => a.id)]);
    expect(errors.rows.map((r) => r.last_error)).toEqual([null, null, null]);
    expect(meter.peakPerAccount).toBe(1);
  });

  it("the post worker's on-demand refresh racing the refresh worker never overlaps and leaves a working account", async () => {
    const { id } = await connect();
    await t.ctx.database.pool.query("UPDATE social_accounts SET access_expires_at = now() + interval '1 minute' WHERE id = $1", [id]);
    meter = meterRefreshes([t.ctx], { delayMs: 50 });
    worker = createTokenRefreshWorker(t.ctx);
    const { jobId } = await refreshAccountTokens(t.ctx, id);
    const onDemand = await Promise.all(Array.from({ length: 10 }, () => ensureFreshSession(t.ctx, id)));
    await until("the refresh job settles", settled(jobId));
    expect(meter.peakPerAccount).toBe(1);
    expect(meter.calls).toBeLessThanOrEqual(2);
    const stored = await loadPlatformAccount(t.ctx, id);
    expect(stored.status).toBe("active");
    for (const a of onDemand) expect(a.accessExpiresAt!.getTime()).toBeGreaterThan(Date.now() + 60 * 60_000);
    // The stored refresh token is the newest: one more refresh with it succeeds.
    await expect(getPlatformService(t.ctx, "bluesky").refreshSession!(stored)).resolves.toMatchObject({ did: stored.remoteId });
  });

  it("retries a transient failure (PDS port closed) with backoff; the account stays active and is refreshed once the PDS is back", async () => {
    const { id } = await connect();
    const closed = `http://127.0.0.1:${await freePort()}`;
    await t.ctx.database.pool.query("UPDATE social_accounts SET instance_url = $2 WHERE id = $1", [id, closed]);
    const failures: number[] = [];
    const statusesWhileFailing: string[] = [];
    worker = createTokenRefreshWorker(t.ctx);
    const onFailed = async (job: Job | undefined) => {
      if (!job) return;
      failures.push(job.attemptsMade);
      const row = await t.ctx.database.pool.query("SELECT status FROM social_accounts WHERE id = $1", [id]);
      statusesWhileFailing.push(row.rows[0].status);
      // The PDS comes back after the second failed attempt.
      if (failures.length === 2) await t.ctx.database.pool.query("UPDATE social_accounts SET instance_url = $2 WHERE id = $1", [id, pds.url]);
    };
    worker.on("failed", (job) => void onFailed(job));
    const { jobId } = await refreshAccountTokens(t.ctx, id);
    await until("the refresh job settles", settled(jobId));
    const job = (await getTokenRefreshQueue(t.ctx).getJob(jobId))!;
    expect(await job.isCompleted()).toBe(true);
    expect(job.attemptsMade).toBeGreaterThanOrEqual(3);
    expect(job.returnvalue).toMatchObject({ outcome: "refreshed" });
    expect(statusesWhileFailing).toEqual(["active", "active"]);
    const stored = await loadPlatformAccount(t.ctx, id);
    expect(stored.status).toBe("active");
  });

  it("a rate-limited refresh (429) waits for the reset without spending an attempt", async () => {
    const { id } = await connect();
    let limited = 0;
    // A platform that answers 429 twice, then lets the real service through.
    const blueSkyService = getPlatformService(t.ctx, "bluesky") as BlueSkyService;
    const restore = registerPlatformService(t.ctx, {
      ...blueSkyService,
      forceRefreshTokens: async (account) => {
        if (limited < 2) {
          limited += 1;
          throw new RateLimitedError("rate limited by the PDS", 200);
        }
        return blueSkyService.forceRefreshTokens(account);
      },
    });
    try {
      worker = createTokenRefreshWorker(t.ctx);
      const { jobId } = await refreshAccountTokens(t.ctx, id);
      await until("the refresh job settles", settled(jobId));
      const job = (await getTokenRefreshQueue(t.ctx).getJob(jobId))!;
      expect(await job.isCompleted()).toBe(true);
      expect(limited).toBe(2);
      // Waiting for a rate limit is not a failed attempt: the job completed on its first counted attempt.
      expect(job.attemptsMade).toBeLessThanOrEqual(1);
      expect((await loadPlatformAccount(t.ctx, id)).status).toBe("active");
    } finally {
      restore();
    }
  });

  it("an account that needs a person fails its job at once (no retries) and is marked needs_reauth", async () => {
    const { id, acct } = await connect();
    await pds.revokeAppPassword(acct, acct.appPasswordName);
    const current = await loadPlatformAccount(t.ctx, id);
    const broken = sealCredentials(t.ctx.box, { ...current.credentials, refreshJwt: "revoked" }, id);
    await t.ctx.database.pool.query("UPDATE social_accounts SET credentials = $2 WHERE id = $1", [id, broken]);
    worker = createTokenRefreshWorker(t.ctx);
    const { jobId } = await refreshAccountTokens(t.ctx, id);
    await until("the refresh job settles", settled(jobId));
    const job = (await getTokenRefreshQueue(t.ctx).getJob(jobId))!;
    expect(await job.isFailed()).toBe(true);
    expect(job.attemptsMade).toBe(1);
    const row = await t.ctx.database.pool.query("SELECT status, last_error FROM social_accounts WHERE id = $1", [id]);
    expect(row.rows[0]).toMatchObject({ status: "needs_reauth" });
    expect(row.rows[0].last_error).toBe(job.failedReason);
  });
});
