import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as adminAccounts from "@/app/api/admin/accounts/route";
import * as adminActivity from "@/app/api/admin/activity/route";
import * as adminJobs from "@/app/api/admin/jobs/route";
import * as adminRetry from "@/app/api/admin/jobs/retry/route";
import * as adminWorkers from "@/app/api/admin/workers/route";
import * as retryRoute from "@/app/api/deliveries/[id]/retry/route";
import { getPostQueue, postJobId } from "@/app/lib/queues/postQueue";
import { getTokenRefreshQueue } from "@/app/lib/queues/tokenRefreshQueue";
import { call } from "@/test/helpers/http";
import { createMemoryPlatform, insertMemoryAccount } from "@/test/helpers/memoryPlatform";
import { postsApi } from "@/test/helpers/postsApi";
import { createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";

/** The small routes the web dashboard added: retry a failed delivery, failed jobs, accounts, workers. */
describe("dashboard routes", () => {
  let tc: TestContext;
  let unregister: () => void;
  let owner: { token: string };
  let other: { token: string };
  let admin: { token: string };
  let accountId: string;

  beforeAll(async () => {
    tc = await createTestContext("postgres");
    unregister = createMemoryPlatform().register(tc.ctx);
    const o = await createTestUser(tc.ctx);
    owner = o;
    other = await createTestUser(tc.ctx);
    admin = await createTestUser(tc.ctx, "admin");
    accountId = (await insertMemoryAccount(tc.ctx, o.user.id)).id;
    await tc.ctx.database.db.execute(sql`UPDATE social_accounts SET last_error = 'refused', status = 'needs_reauth' WHERE id = ${(await insertMemoryAccount(tc.ctx, o.user.id)).id}`);
  });

  afterAll(async () => {
    await Promise.all([getPostQueue(tc.ctx).close(), getTokenRefreshQueue(tc.ctx).close()]);
    unregister?.();
    await tc?.close();
  });

  async function failedDelivery(): Promise<{ postId: string; deliveryId: string }> {
    const later = new Date(Date.now() + 3600_000).toISOString();
    const { body } = await postsApi(owner.token).create({ text: "will fail", accountIds: [accountId], scheduledAt: later });
    const deliveryId = body.post.deliveries[0].id as string;
    await tc.ctx.database.db.execute(sql`UPDATE deliveries SET status = 'failed', attempts = 4, last_error = 'the PDS refused it' WHERE id = ${deliveryId}`);
    await tc.ctx.database.db.execute(sql`UPDATE posts SET status = 'failed' WHERE id = ${body.post.id}`);
    return { postId: body.post.id, deliveryId };
  }

  it("retries a failed delivery of one's own post: pending again, due now, with a fresh job", async () => {
    const { deliveryId } = await failedDelivery();
    const res = await call(retryRoute.POST, { method: "POST", token: owner.token, params: { id: deliveryId } });
    expect(res.status).toBe(202);
    expect(res.body.post.status).toBe("scheduled");
    expect(res.body.post.deliveries[0].status).toBe("pending");
    const job = await getPostQueue(tc.ctx).getJob(postJobId(deliveryId));
    expect(job).toBeDefined();
    expect(job!.opts.delay ?? 0).toBeLessThan(5_000);
  });

  it("refuses to retry what is not failed, or not one's own", async () => {
    const { deliveryId } = await failedDelivery();
    expect((await call(retryRoute.POST, { method: "POST", token: other.token, params: { id: deliveryId } })).status).toBe(404);
    expect((await call(retryRoute.POST, { method: "POST", token: owner.token, params: { id: "nope" } })).status).toBe(404);
    expect((await call(retryRoute.POST, { method: "POST", token: owner.token, params: { id: deliveryId } })).status).toBe(202);
    const again = await call(retryRoute.POST, { method: "POST", token: owner.token, params: { id: deliveryId } });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(/only a failed delivery/);
  });

  it("keeps the admin routes for admins", async () => {
    for (const handler of [adminJobs.GET, adminAccounts.GET, adminWorkers.GET, adminActivity.GET]) {
      expect((await call(handler, { token: owner.token })).status).toBe(403);
      expect((await call(handler, {})).status).toBe(401);
    }
    expect((await call(adminRetry.POST, { method: "POST", token: owner.token, body: { queue: "posts", jobId: "x" } })).status).toBe(403);
  });

  it("lists every account for the admin, those needing re-auth first", async () => {
    const res = await call(adminAccounts.GET, { token: admin.token });
    expect(res.status).toBe(200);
    expect(res.body.accounts.map((a: { status: string }) => a.status)).toEqual(["needs_reauth", "active"]);
    expect(res.body.accounts[0].ownerEmail).toMatch(/@example\.test$/);
    expect(res.body.accounts[0]).not.toHaveProperty("credentials");
  });

  it("counts publish attempts per hour for the chart", async () => {
    const { deliveryId } = await failedDelivery();
    await tc.ctx.database.db.execute(sql`
      INSERT INTO delivery_attempts (delivery_id, attempt, outcome, error, started_at, finished_at) VALUES
        (${deliveryId}, 1, 'retry', 'timeout', now(), now()),
        (${deliveryId}, 2, 'failed', 'refused', now(), now()),
        (${deliveryId}, 1, 'published', null, now() - interval '3 hours', now() - interval '3 hours'),
        (${deliveryId}, 1, 'published', null, now() - interval '30 hours', now() - interval '30 hours')`);
    const res = await call(adminActivity.GET, { token: admin.token });
    expect(res.status).toBe(200);
    expect(res.body.hours).toHaveLength(12);
    const last = res.body.hours[11];
    expect([last.retried, last.failed]).toEqual([1, 1]);
    const sum = res.body.hours.reduce((n: number, h: { published: number }) => n + h.published, 0);
    expect(sum).toBe(1);
  });

  it("answers failed jobs and workers (none running here)", async () => {
    const jobs = await call(adminJobs.GET, { token: admin.token });
    expect(jobs.status).toBe(200);
    expect(Array.isArray(jobs.body.failed)).toBe(true);
    const workers = await call(adminWorkers.GET, { token: admin.token });
    expect(workers.status).toBe(200);
    expect(workers.body).toEqual({ queues: { posts: 0, "token-refresh": 0 }, alive: false });
    const missing = await call(adminRetry.POST, { method: "POST", token: admin.token, body: { queue: "posts", jobId: "nope" } });
    expect(missing.status).toBe(404);
  });
});
