import type { Worker } from "bullmq";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AccountGoneError,
  AuthPlatformError,
  PermanentPlatformError,
  RateLimitedError,
  ReauthRequiredError,
  TransientPlatformError,
} from "@/app/lib/api/platformErrors";
import type { AppContext } from "@/app/lib/context";
import { QUEUE_CALL_TIMEOUT_MS } from "@/app/lib/posts/enqueueDeliveries";
import { createPost } from "@/app/lib/posts/createPost";
import { createQueueBackend } from "@/app/lib/queues/backend";
import { getPostQueue, initPostQueue, postJobId } from "@/app/lib/queues/postQueue";
import { reconcileOnce } from "@/app/lib/queues/reconciler";
import { createPostWorker } from "@/app/lib/queues/worker";
import { createMemoryPlatform, insertMemoryAccount, type MemoryPlatform } from "@/test/helpers/memoryPlatform";
import { postsApi, waitFor } from "@/test/helpers/postsApi";
import { BACKENDS } from "@/test/helpers/queueBackends";
import { createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";

/**
 * The whole pipeline — HTTP handler, database, queue, worker, apiManager — against the
 * in-process platform, on both queue backends. The real PDS is exercised in postPds.test.ts.
 */
describe.each(BACKENDS)("post pipeline on %s", (kind) => {
  let tc: TestContext;
  let mem: MemoryPlatform;
  let unregister: () => void;
  let worker: Worker;
  let api: ReturnType<typeof postsApi>;
  let accountA: string;
  let accountB: string;
  let didA: string;
  let otherToken: string;
  let otherAccount: string;
  let userId: string;

  beforeAll(async () => {
    tc = await createTestContext(kind);
    mem = createMemoryPlatform();
    unregister = mem.register(tc.ctx);
    initPostQueue(tc.ctx, { retryDelayMs: 50 });
    const { user, token } = await createTestUser(tc.ctx);
    userId = user.id;
    api = postsApi(token);
    const a = await insertMemoryAccount(tc.ctx, user.id);
    accountA = a.id;
    didA = a.remoteId;
    accountB = (await insertMemoryAccount(tc.ctx, user.id)).id;
    const other = await createTestUser(tc.ctx);
    otherToken = other.token;
    otherAccount = (await insertMemoryAccount(tc.ctx, other.user.id)).id;
    worker = createPostWorker(tc.ctx) as Worker;
    await worker.waitUntilReady();
  });

  afterAll(async () => {
    await worker?.close();
    await getPostQueue(tc.ctx).close();
    unregister?.();
    await tc?.close();
  });

  const settled = (id: string, statuses = ["published", "failed", "partially_failed", "cancelled"]) =>
    waitFor(`post ${id} to settle`, async () => {
      const { body } = await api.get(id);
      return statuses.includes(body.post.status) ? body.post : undefined;
    });

  it("publishes now to several accounts, each exactly once", async () => {
    const created = await api.create({ text: "hello from two accounts", accountIds: [accountA, accountB] });
    expect(created.status).toBe(201);
    expect(created.body.post.status).toBe("scheduled");
    expect(created.body.post.deliveries).toHaveLength(2);
    const post = await settled(created.body.post.id);
    expect(post.status).toBe("published");
    for (const d of post.deliveries) {
      expect(d.status).toBe("published");
      expect(d.remoteUri).toMatch(/^at:\/\/did:plc:/);
      expect(d.attempts).toBe(1);
      expect(d.history.map((h: { outcome: string }) => h.outcome)).toEqual(["published"]);
    }
    expect(mem.postsOf(didA).filter((r) => r.text === "hello from two accounts")).toHaveLength(1);
  });

  it("publishes a scheduled post at its time, not before", async () => {
    const at = new Date(Date.now() + 2000);
    const created = await api.create({ text: "later", accountIds: [accountA], scheduledAt: at.toISOString(), timeZone: "Europe/Berlin" });
    expect(created.status).toBe(201);
    expect(created.body.post.timeZone).toBe("Europe/Berlin");
    await new Promise((r) => setTimeout(r, 800));
    expect((await api.get(created.body.post.id)).body.post.status).toBe("scheduled");
    const post = await settled(created.body.post.id);
    expect(post.status).toBe("published");
    expect(new Date(post.deliveries[0].publishedAt).getTime()).toBeGreaterThanOrEqual(at.getTime() - 50);
  });

  it("reschedules and edits by moving the one job, never duplicating it", async () => {
    const created = await api.create({ text: "original", accountIds: [accountA], scheduledAt: new Date(Date.now() + 3600_000).toISOString() });
    const id = created.body.post.id;
    const deliveryId = created.body.post.deliveries[0].id;
    const patched = await api.patch(id, { text: "edited text", scheduledAt: new Date(Date.now() + 1000).toISOString() });
    expect(patched.status).toBe(200);
    expect(patched.body.post.text).toBe("edited text");
    const job = await getPostQueue(tc.ctx).getJob(postJobId(deliveryId));
    expect(job?.delay).toBeLessThanOrEqual(1000);
    const post = await settled(id);
    expect(post.status).toBe("published");
    const mine = mem.postsOf(didA).filter((r) => r.text === "edited text" || r.text === "original");
    expect(mine.map((r) => r.text)).toEqual(["edited text"]);
    // Published: no more edits or cancelling.
    expect((await api.patch(id, { text: "too late" })).status).toBe(409);
    expect((await api.cancel(id)).status).toBe(409);
  });

  it("cancels a scheduled post and removes its job", async () => {
    const created = await api.create({ text: "never mind", accountIds: [accountA, accountB], scheduledAt: new Date(Date.now() + 1500).toISOString() });
    const cancelled = await api.cancel(created.body.post.id);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.post.status).toBe("cancelled");
    expect(cancelled.body.post.deliveries.map((d: { status: string }) => d.status)).toEqual(["cancelled", "cancelled"]);
    for (const d of created.body.post.deliveries) expect(await getPostQueue(tc.ctx).getJob(postJobId(d.id))).toBeUndefined();
    await new Promise((r) => setTimeout(r, 2000));
    expect([...mem.records.values()].some((r) => r.text === "never mind")).toBe(false);
    expect((await api.cancel(created.body.post.id)).status).toBe(200);
    expect((await api.patch(created.body.post.id, { text: "x" })).status).toBe(409);
  });

  it("validates before storing anything", async () => {
    const before = (await api.list("?limit=100")).body.posts.length;
    const bad: Array<[unknown, number]> = [
      [{ text: "x".repeat(301), accountIds: [accountA] }, 400],
      [{ text: "👩‍👩‍👧‍👦".repeat(300), accountIds: [accountA] }, 400], // 300 graphemes, far over 3000 bytes
      [{ text: "", accountIds: [accountA] }, 400],
      [{ text: "hi", accountIds: [] }, 400],
      [{ text: "hi", accountIds: ["not-a-uuid"] }, 400],
      [{ text: "hi", accountIds: [otherAccount] }, 400],
      [{ text: "hi", accountIds: [accountA], scheduledAt: "tomorrow" }, 400],
      [{ text: "hi", accountIds: [accountA], scheduledAt: "2026-02-30T10:00:00Z" }, 400],
      [{ text: "hi", accountIds: [accountA], scheduledAt: "2026-03-01T10:00:00" }, 400],
      [{ text: "hi", accountIds: [accountA], timeZone: "Mars/Base" }, 400],
      [{ text: "hi", accountIds: [accountA], images: [{ data: "aGk=", mimeType: "image/png", alt: "" }] }, 400],
      ["{not json", 400],
    ];
    for (const [body, status] of bad) {
      const res = await api.create(body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(status);
      expect(res.body.error.code).toMatch(/validation_failed|bad_request/);
    }
    expect((await api.create({ text: "x".repeat(300), accountIds: [accountA], scheduledAt: new Date(Date.now() + 3600_000).toISOString() })).status).toBe(201);
    expect((await api.list("?limit=100")).body.posts.length).toBe(before + 1);
  });

  it("shows users only their own posts; bad ids are 404", async () => {
    const mine = await api.create({ text: "private", accountIds: [accountA], scheduledAt: new Date(Date.now() + 3600_000).toISOString() });
    const other = postsApi(otherToken);
    expect((await other.get(mine.body.post.id)).status).toBe(404);
    expect((await other.patch(mine.body.post.id, { text: "mine now" })).status).toBe(404);
    expect((await other.cancel(mine.body.post.id)).status).toBe(404);
    expect((await other.list()).body.posts).toEqual([]);
    expect((await api.get("not-a-uuid")).status).toBe(404);
    expect((await postsApi("wrong-token").list()).status).toBe(401);
  });

  it("lists newest scheduled first with keyset pagination and filters", async () => {
    const base = Date.now() + 10 * 24 * 3600_000;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await api.create({ text: `page ${i}`, accountIds: [i % 2 ? accountB : accountA], scheduledAt: new Date(base + i * 60_000).toISOString() });
      ids.push(res.body.post.id);
    }
    const first = await api.list("?limit=2");
    expect(first.body.posts.map((p: { id: string }) => p.id)).toEqual([ids[4], ids[3]]);
    const second = await api.list(`?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.posts.map((p: { id: string }) => p.id)).toEqual([ids[2], ids[1]]);
    // Other tests' posts may be listed too; of this test's posts, exactly B's, in order.
    const onlyB = await api.list(`?limit=100&accountId=${accountB}`);
    expect(onlyB.body.posts.map((p: { id: string }) => p.id).filter((id: string) => ids.includes(id))).toEqual([ids[3], ids[1]]);
    expect((await api.cancel(ids[0]!)).status).toBe(200);
    const cancelled = await api.list("?status=cancelled&limit=100");
    const cancelledIds = cancelled.body.posts.map((p: { id: string }) => p.id);
    expect(cancelledIds).toContain(ids[0]);
    expect(cancelledIds.filter((id: string) => ids.includes(id))).toEqual([ids[0]]);
    expect(cancelled.body.posts.every((p: { status: string }) => p.status === "cancelled")).toBe(true);
    expect((await api.list("?cursor=garbage")).status).toBe(400);
    expect((await api.list("?status=nope")).status).toBe(400);
  });

  it("retries transient failures and records every attempt", async () => {
    mem.failNext(new TransientPlatformError("PDS said 502"), new TransientPlatformError("connection reset"));
    const created = await api.create({ text: "flaky network", accountIds: [accountA] });
    const post = await settled(created.body.post.id);
    expect(post.status).toBe("published");
    const d = post.deliveries[0];
    expect(d.attempts).toBe(3);
    expect(d.lastError).toBeNull();
    expect(d.history.map((h: { outcome: string }) => h.outcome)).toEqual(["retry", "retry", "published"]);
    expect(d.history[0].error).toContain("502");
  });

  it("waits out a rate limit without spending an attempt", async () => {
    mem.failNext(new RateLimitedError("rate limited", 300));
    const created = await api.create({ text: "slow down", accountIds: [accountA] });
    const post = await settled(created.body.post.id);
    expect(post.status).toBe("published");
    expect(post.deliveries[0].history.map((h: { outcome: string }) => h.outcome)).toEqual(["rate_limited", "published"]);
    const job = await getPostQueue(tc.ctx).getJob(postJobId(post.deliveries[0].id));
    // attemptsMade counts the run that completed; the rate-limited run did not count.
    expect(job?.attemptsMade).toBe(1);
  });

  it("fails a permanent error at once, without retrying", async () => {
    const callsBefore = mem.calls;
    mem.failNext(new PermanentPlatformError("Bluesky refused publishing the post: the post is not valid"));
    const created = await api.create({ text: "invalid somehow", accountIds: [accountA] });
    const post = await settled(created.body.post.id);
    expect(post.status).toBe("failed");
    expect(post.deliveries[0].lastError).toContain("not valid");
    await new Promise((r) => setTimeout(r, 500));
    expect(mem.calls - callsBefore).toBe(1);
    expect((await api.get(created.body.post.id)).body.post.deliveries[0].attempts).toBe(1);
  });

  it("gives up after four attempts with the last error", async () => {
    mem.failNext(...Array.from({ length: 4 }, (_, i) => new TransientPlatformError(`outage ${i + 1}`)));
    const created = await api.create({ text: "long outage", accountIds: [accountA] });
    const post = await settled(created.body.post.id);
    expect(post.status).toBe("failed");
    expect(post.deliveries[0].attempts).toBe(4);
    expect(post.deliveries[0].lastError).toContain("outage 4");
    expect(post.deliveries[0].history.map((h: { outcome: string }) => h.outcome)).toEqual(["retry", "retry", "retry", "failed"]);
  });

  it("fails and marks the account when it is gone", async () => {
    mem.failNext(new AccountGoneError("the Bluesky account is unavailable (AccountDeactivated)"));
    const created = await api.create({ text: "to a dead account", accountIds: [accountA] });
    const post = await settled(created.body.post.id);
    expect(post.status).toBe("failed");
    expect(post.deliveries[0].lastError).toContain("AccountDeactivated");
    const rows = await tc.ctx.database.db.execute(sql`SELECT status FROM social_accounts WHERE id = ${accountA}`);
    expect(rows.rows[0]).toMatchObject({ status: "disabled" });
    // New posts to it are refused until it is reconnected.
    expect((await api.create({ text: "x", accountIds: [accountA] })).status).toBe(422);
    await tc.ctx.database.db.execute(sql`UPDATE social_accounts SET status = 'active' WHERE id = ${accountA}`);
  });

  it("rebuilds lost jobs from the database and fails missed posts", async () => {
    const soon = await api.create({ text: "survives queue loss", accountIds: [accountA], scheduledAt: new Date(Date.now() + 1500).toISOString() });
    const old = await api.create({ text: "missed it", accountIds: [accountB], scheduledAt: new Date(Date.now() + 3600_000).toISOString() });
    await tc.ctx.database.db.execute(
      sql`UPDATE deliveries SET scheduled_at = now() - interval '30 hours' WHERE post_id = ${old.body.post.id}`,
    );
    await getPostQueue(tc.ctx).obliterate({ force: true });
    expect(await getPostQueue(tc.ctx).getJob(postJobId(soon.body.post.deliveries[0].id))).toBeUndefined();
    const report = await reconcileOnce(tc.ctx);
    expect(report.ran).toBe(true);
    expect(report.missed).toBe(1);
    expect(report.enqueued).toBeGreaterThanOrEqual(1);
    const post = await settled(soon.body.post.id);
    expect(post.status).toBe("published");
    expect(mem.postsOf(didA).filter((r) => r.text === "survives queue loss")).toHaveLength(1);
    const missed = (await api.get(old.body.post.id)).body.post;
    expect(missed.status).toBe("failed");
    expect(missed.deliveries[0].lastError).toMatch(/^missed/);
    // A second pass finds nothing to do.
    const again = await reconcileOnce(tc.ctx);
    expect(again.enqueued + again.missed + again.rerun).toBe(0);
  });

  it("moves a job whose reschedule never reached the queue", async () => {
    const created = await api.create({ text: "moved while the queue was away", accountIds: [accountA], scheduledAt: new Date(Date.now() + 3600_000).toISOString() });
    // The database says "in a second" but the job still waits an hour (the queue update was lost).
    await tc.ctx.database.db.execute(sql`UPDATE deliveries SET scheduled_at = now() + interval '1 second' WHERE post_id = ${created.body.post.id}`);
    const report = await reconcileOnce(tc.ctx);
    expect(report.enqueued).toBe(1);
    expect((await settled(created.body.post.id)).status).toBe("published");
  });

  it("answers 201 when the queue is down; the reconciler enqueues the stored post later", async () => {
    const deadQueue =
      kind === "redis"
        ? createQueueBackend({ kind, redis: { host: "127.0.0.1", port: 9, maxRetriesPerRequest: null }, prefix: tc.prefix })
        : createQueueBackend({ kind, postgres: { connectionString: "postgres://postgres:postgres@127.0.0.1:9/nothing", schema: "bullmq" } });
    const down: AppContext = { ...tc.ctx, queues: deadQueue, openQueues: {} };
    const started = Date.now();
    const post = await createPost(down, userId, { text: "queue was down", accountIds: [accountA] });
    expect(Date.now() - started).toBeLessThan(QUEUE_CALL_TIMEOUT_MS + 2000);
    expect(post.status).toBe("scheduled");
    expect(await getPostQueue(tc.ctx).getJob(postJobId(post.deliveries[0]!.id))).toBeUndefined();
    void Promise.race([getPostQueue(down).close(), new Promise((r) => setTimeout(r, 1000))]);
    expect((await reconcileOnce(tc.ctx)).enqueued).toBeGreaterThanOrEqual(1);
    expect((await settled(post.id)).status).toBe("published");
  });

  it("refreshes a refused token and publishes in the same attempt", async () => {
    const refreshesBefore = mem.refreshes;
    mem.failNext(new AuthPlatformError("Bluesky did not accept the session (ExpiredToken)"));
    const created = await api.create({ text: "token was stale", accountIds: [accountB] });
    const post = await settled(created.body.post.id);
    expect(post.status).toBe("published");
    expect(post.deliveries[0].attempts).toBe(1);
    expect(mem.refreshes - refreshesBefore).toBe(1);
  });

  it("refreshes a token about to expire before publishing", async () => {
    const refreshesBefore = mem.refreshes;
    await tc.ctx.database.db.execute(sql`UPDATE social_accounts SET access_expires_at = now() + interval '1 minute' WHERE id = ${accountB}`);
    const created = await api.create({ text: "expiring soon", accountIds: [accountB] });
    expect((await settled(created.body.post.id)).status).toBe("published");
    expect(mem.refreshes - refreshesBefore).toBe(1);
    const rows = await tc.ctx.database.db.execute(sql`SELECT access_expires_at > now() + interval '1 hour' AS fresh FROM social_accounts WHERE id = ${accountB}`);
    expect(rows.rows[0]).toMatchObject({ fresh: true });
  });

  it("fails the delivery and asks for a reconnect when the session cannot be renewed", async () => {
    mem.failNext(new AuthPlatformError("Bluesky did not accept the session (ExpiredToken)"));
    mem.failRefresh(new ReauthRequiredError("the app password was revoked"));
    const created = await api.create({ text: "revoked", accountIds: [accountB] });
    const post = await settled(created.body.post.id);
    expect(post.status).toBe("failed");
    expect(post.deliveries[0].lastError).toContain("revoked");
    const rows = await tc.ctx.database.db.execute(sql`SELECT status FROM social_accounts WHERE id = ${accountB}`);
    expect(rows.rows[0]).toMatchObject({ status: "needs_reauth" });
    await tc.ctx.database.db.execute(sql`UPDATE social_accounts SET status = 'active' WHERE id = ${accountB}`);
  });

  it("keeps completed jobs for the retention, then a reconciler pass removes them and publishes nothing again", async () => {
    const created = await api.create({ text: "kept, then cleaned up", accountIds: [accountA] });
    const post = await settled(created.body.post.id);
    expect(post.status).toBe("published");
    const queue = getPostQueue(tc.ctx);
    const jobId = postJobId(post.deliveries[0].id);
    expect(await (await queue.getJob(jobId))?.getState()).toBe("completed");

    // Younger than the hour: kept (the admin API and dashboard count them).
    const kept = await reconcileOnce(tc.ctx);
    expect(kept).toEqual({ ran: true, enqueued: 0, rerun: 0, missed: 0 });
    expect(await queue.getJob(jobId)).toBeDefined();

    // A pass with no retention left removes every completed job, and re-adds none.
    const cleaned = await reconcileOnce(tc.ctx, { completedJobsKeptMs: 0 });
    expect(cleaned).toEqual({ ran: true, enqueued: 0, rerun: 0, missed: 0 });
    expect(await queue.getJob(jobId)).toBeUndefined();
    expect((await queue.getJobCounts("completed")).completed).toBe(0);
    expect((await api.get(post.id)).body.post.status).toBe("published");
    expect(mem.postsOf(didA).filter((r) => r.text === "kept, then cleaned up")).toHaveLength(1);
  });
});
