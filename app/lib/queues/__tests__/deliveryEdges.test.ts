import type { Worker } from "bullmq";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as accountItem from "@/app/api/accounts/[id]/route";
import * as refreshRoute from "@/app/api/admin/refresh-tokens/route";
import * as accountsRoute from "@/app/api/accounts/route";
import * as retryRoute from "@/app/api/deliveries/[id]/retry/route";
import { connectAccount } from "@/app/lib/accounts/connectAccount";
import type { AppContext } from "@/app/lib/context";
import { lockUserPost, updatePendingPost } from "@/app/lib/db/queries/posts";
import { getPostQueue, initPostQueue, postJobId } from "@/app/lib/queues/postQueue";
import { runPostDelivery } from "@/app/lib/queues/processDelivery";
import { getTokenRefreshQueue } from "@/app/lib/queues/tokenRefreshQueue";
import { createPostWorker, createTokenRefreshWorker } from "@/app/lib/queues/worker";
import { startFaultProxy, type FaultProxy } from "@/test/helpers/faultProxy";
import { call } from "@/test/helpers/http";
import { startTestPds, type TestAccount, type TestPds } from "@/test/helpers/pds";
import { postsApi, waitFor } from "@/test/helpers/postsApi";
import { createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";

/**
 * The edges of publishing a user touches (issue 12, items 1, 2, 3, 6, 7), against the real
 * local PDS behind a fault proxy, PostgreSQL, and a real post worker on the PostgreSQL backend.
 */
let pds: TestPds;
let tc: TestContext;
let ctx: AppContext;
let proxy: FaultProxy;
let worker: Worker;
let refreshWorker: Worker;
let token: string;
let userId: string;
let api: ReturnType<typeof postsApi>;

beforeAll(async () => {
  pds = await startTestPds();
  tc = await createTestContext("postgres", { RATE_LIMIT_MAX_WAIT_MINUTES: "1", ATPROTO_PLC_URL: pds.plcUrl, ATPROTO_HANDLE_RESOLVER_URL: pds.url });
  ctx = tc.ctx;
  initPostQueue(ctx, { retryDelayMs: 200 });
  proxy = await startFaultProxy(pds.url);
  ({ token, user: { id: userId } } = await createTestUser(ctx));
  api = postsApi(token);
  worker = createPostWorker(ctx) as Worker;
  refreshWorker = createTokenRefreshWorker(ctx) as Worker;
  await Promise.all([worker.waitUntilReady(), refreshWorker.waitUntilReady()]);
}, 120_000);

afterAll(async () => {
  await Promise.all([worker?.close(), refreshWorker?.close()]);
  await Promise.all([getPostQueue(ctx).close(), getTokenRefreshQueue(ctx).close()]);
  await proxy?.close();
  await tc?.close();
  await pds?.close();
});

async function connect(prefix: string): Promise<{ pdsAccount: TestAccount; id: string }> {
  const pdsAccount = await pds.createAccount(prefix);
  const { account } = await connectAccount(ctx, userId, { platform: "bluesky", identifier: pdsAccount.handle, appPassword: pdsAccount.appPassword, service: proxy.url });
  return { pdsAccount, id: account.id };
}

const textsOn = async (did: string) => (await pds.listPosts(did)).map((r) => r.value.text as string);
const postOf = async (id: string) => (await api.get(id)).body.post;
const settled = (id: string, statuses = ["published", "failed", "partially_failed", "cancelled"]) =>
  waitFor(`post ${id} to settle`, async () => {
    const post = await postOf(id);
    return statuses.includes(post.status) ? post : undefined;
  }, 60_000);
const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

describe("publishing edges", () => {
  it("publishes the text an edit committed while the claim waited for the edit's locks", async () => {
    const { pdsAccount, id } = await connect("edit");
    const created = await api.create({ text: "OLD text", accountIds: [id], scheduledAt: inAnHour() });
    const postId = created.body.post.id as string;
    const deliveryId = created.body.post.deliveries[0].id as string;
    // Due now, without its job firing (the worker's job stays delayed an hour): this test runs the claim itself.
    await ctx.database.db.execute(sql`UPDATE deliveries SET scheduled_at = now() WHERE id = ${deliveryId}`);

    let publishing: Promise<string> | undefined;
    await ctx.database.db.transaction(async (tx) => {
      // What PATCH /api/posts/:id does, held open: its locks, then the new text.
      await lockUserPost(tx, userId, postId);
      await updatePendingPost(tx, postId, { text: "NEW text" });
      publishing = runPostDelivery(ctx, deliveryId);
      // Handshake on the database: the claim is blocked on a lock this transaction holds.
      await waitFor("the claim to wait for PATCH's lock", async () => {
        const res = await ctx.database.pool.query(
          "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%claimed AS%' AND datname = current_database()",
        );
        return res.rowCount ? true : undefined;
      });
    });
    expect(await publishing).toBe("published");
    expect(await textsOn(pdsAccount.did)).toEqual(["NEW text"]);
    const post = await postOf(postId);
    expect(post.text).toBe("NEW text");
    expect(post.status).toBe("published");
  });

  it("a thread refused part-way is partially published with links; retry finishes it without re-posting", async () => {
    const { pdsAccount, id } = await connect("thread");
    // The first segment goes through; every later write is refused (a permanent 400).
    proxy.inject("putRecord", { kind: "pass" }, 1);
    proxy.inject("putRecord", { kind: "status", status: 400, body: { error: "InvalidRequest", message: "refused by the test" } }, 1000);
    const created = await api.create({ text: "part one", accountIds: [id], thread: [{ text: "part two" }, { text: "part three" }] });
    const post = await settled(created.body.post.id);
    proxy.clear();
    const delivery = post.deliveries[0];
    expect(post.status).toBe("partially_failed");
    expect(delivery.status).toBe("partially_published");
    const [root] = await pds.listPosts(pdsAccount.did);
    expect(root?.value.text).toBe("part one");
    expect(delivery.remoteUri).toBe(root!.uri);
    expect(delivery.segments).toEqual([
      { index: 0, status: "published", uri: root!.uri, url: expect.stringContaining("com.atproto.repo.getRecord") },
      { index: 1, status: "failed", uri: null, url: null },
      { index: 2, status: "pending", uri: null, url: null },
    ]);

    const retried = await call(retryRoute.POST, { method: "POST", token, params: { id: delivery.id } });
    expect(retried.status).toBe(202);
    const done = await settled(created.body.post.id, ["published", "failed", "partially_failed"]);
    expect(done.status).toBe("published");
    const records = await pds.listPosts(pdsAccount.did);
    expect(records.map((r) => r.value.text).sort()).toEqual(["part one", "part three", "part two"]);
    const byText = new Map(records.map((r) => [r.value.text as string, r]));
    expect(byText.get("part two")!.value.reply).toMatchObject({ root: { uri: root!.uri }, parent: { uri: root!.uri } });
    expect(byText.get("part three")!.value.reply).toMatchObject({ root: { uri: root!.uri }, parent: { uri: byText.get("part two")!.uri } });
    expect(done.deliveries[0].segments.map((s: { status: string; uri: string }) => [s.status, s.uri])).toEqual(
      [root!, byText.get("part two")!, byText.get("part three")!].map((r) => ["published", r.uri]),
    );
  });

  it("an unclear final failure looks the record up by key before calling the delivery failed", async () => {
    const { pdsAccount, id } = await connect("unclear");
    // Every attempt commits on the PDS but loses the answer: the outcome is never clear.
    proxy.inject("putRecord", { kind: "drop_after_commit" }, 1000);
    const created = await api.create({ text: "did it go out?", accountIds: [id] });
    const post = await settled(created.body.post.id);
    proxy.clear();
    const [record] = await pds.listPosts(pdsAccount.did);
    expect(record?.value.text).toBe("did it go out?");
    expect(post.status).toBe("published");
    expect(post.deliveries[0].remoteUri).toBe(record!.uri);
  });

  it("disconnecting an account cancels what it had scheduled and keeps what it published", async () => {
    const { pdsAccount, id } = await connect("leaving");
    const other = await connect("staying");
    const published = await api.create({ text: "already out", accountIds: [id] });
    await settled(published.body.post.id);
    const scheduled = await api.create({ text: "later", accountIds: [id], scheduledAt: inAnHour() });
    const shared = await api.create({ text: "shared later", accountIds: [id, other.id], scheduledAt: inAnHour() });
    const scheduledDelivery = scheduled.body.post.deliveries[0].id as string;
    expect(await getPostQueue(ctx).getJob(postJobId(scheduledDelivery))).toBeDefined();

    const res = await call(accountItem.DELETE, { method: "DELETE", token, params: { id } });
    expect(res.status).toBe(204);

    const cancelled = await postOf(scheduled.body.post.id);
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.deliveries[0]).toMatchObject({ status: "cancelled", lastError: "account disconnected" });
    expect(await getPostQueue(ctx).getJob(postJobId(scheduledDelivery))).toBeUndefined();
    const stillShared = await postOf(shared.body.post.id);
    expect(stillShared.status).toBe("scheduled");
    expect(stillShared.deliveries.map((d: { status: string }) => d.status).sort()).toEqual(["cancelled", "pending"]);

    const kept = await postOf(published.body.post.id);
    expect(kept.status).toBe("published");
    expect(kept.deliveries[0].accountHandle).toBe(pdsAccount.handle);
    expect(kept.deliveries[0].history.map((h: { outcome: string }) => h.outcome)).toEqual(["published"]);

    const listed = await call(accountsRoute.GET, { token });
    expect(listed.body.accounts.map((a: { id: string }) => a.id)).not.toContain(id);
    expect((await call(accountItem.GET, { token, params: { id } })).status).toBe(404);
    const stored = await ctx.database.pool.query("SELECT credentials FROM social_accounts WHERE id = $1", [id]);
    expect(stored.rows[0].credentials).toBe("");
  });

  it("disconnecting while one of the account's posts is being published answers 409 and changes nothing", async () => {
    const { id } = await connect("busy");
    const created = await api.create({ text: "in flight", accountIds: [id], scheduledAt: inAnHour() });
    const deliveryId = created.body.post.deliveries[0].id as string;
    // The state a worker's claim leaves while it writes to the PDS.
    await ctx.database.db.execute(sql`UPDATE deliveries SET status = 'publishing' WHERE id = ${deliveryId}`);
    const res = await call(accountItem.DELETE, { method: "DELETE", token, params: { id } });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/try again in a moment/);
    expect((await call(accountItem.GET, { token, params: { id } })).status).toBe(200);
    expect((await postOf(created.body.post.id)).deliveries[0].status).toBe("publishing");
    await ctx.database.db.execute(sql`UPDATE deliveries SET status = 'cancelled' WHERE id = ${deliveryId}`);
  });

  it("reconnecting an account publishes what failed because it needed reconnecting (within the missed-post limit)", async () => {
    const { pdsAccount, id } = await connect("reconnect");
    const recent = await api.create({ text: "waiting for reconnect", accountIds: [id], scheduledAt: inAnHour() });
    const old = await api.create({ text: "too old to send", accountIds: [id], scheduledAt: inAnHour() });
    // The token refresh found the app password revoked (what it writes), then both posts fall due.
    await ctx.database.db.execute(sql`UPDATE social_accounts SET status = 'needs_reauth' WHERE id = ${id}`);
    for (const p of [recent, old]) expect((await api.patch(p.body.post.id, { scheduledAt: new Date().toISOString() })).status).toBe(200);
    expect((await settled(recent.body.post.id)).deliveries[0].status).toBe("failed");
    expect((await settled(old.body.post.id)).deliveries[0].status).toBe("failed");
    await ctx.database.db.execute(
      sql`UPDATE deliveries SET scheduled_at = now() - interval '25 hours' WHERE post_id = ${old.body.post.id}`,
    );

    const res = await call(accountsRoute.POST, {
      method: "POST",
      token,
      body: { platform: "bluesky", identifier: pdsAccount.handle, appPassword: pdsAccount.appPassword, service: proxy.url },
    });
    expect(res.status).toBe(200);
    expect(res.body.retriedDeliveries).toBe(1);
    expect((await settled(recent.body.post.id)).status).toBe("published");
    expect(await textsOn(pdsAccount.did)).toEqual(["waiting for reconnect"]);
    expect((await postOf(old.body.post.id)).status).toBe("failed");
  });

  it("a rate-limited delivery shows until when it waits (at least 5 s) and can be cancelled meanwhile", async () => {
    const { pdsAccount, id } = await connect("limited");
    proxy.inject("putRecord", { kind: "status", status: 429, headers: { "retry-after": "0" }, body: { error: "RateLimitExceeded", message: "slow down" } }, 1);
    const before = Date.now();
    const created = await api.create({ text: "held by a rate limit", accountIds: [id] });
    const delivery = await waitFor("the delivery to wait for the rate limit", async () => {
      const d = (await postOf(created.body.post.id)).deliveries[0];
      return d.waitingUntil ? d : undefined;
    });
    proxy.clear();
    expect(new Date(delivery.waitingUntil).getTime() - before).toBeGreaterThanOrEqual(5_000);
    const cancelled = await api.cancel(created.body.post.id);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.post.status).toBe("cancelled");
    expect(cancelled.body.post.deliveries[0].waitingUntil).toBeNull();
    expect(await getPostQueue(ctx).getJob(postJobId(delivery.id))).toBeUndefined();
    expect(await textsOn(pdsAccount.did)).toEqual([]);
  });

  it("a rate limit longer than the total cap fails the delivery with a message saying so", async () => {
    const { id } = await connect("capped");
    proxy.inject("putRecord", { kind: "status", status: 429, headers: { "retry-after": "600" }, body: { error: "RateLimitExceeded", message: "slow down" } }, 1);
    const created = await api.create({ text: "capped by the limit", accountIds: [id] });
    const post = await settled(created.body.post.id);
    proxy.clear();
    expect(post.status).toBe("failed");
    expect(post.deliveries[0].lastError).toMatch(/rate-limited for more than 1 min/);
  });

  it("twenty refresh requests for one account within seconds rotate its tokens at most twice (counted at the PDS)", async () => {
    const { id } = await connect("refreshstorm");
    // Connected an hour ago, as far as its tokens go: a refresh is due.
    await ctx.database.db.execute(sql`UPDATE social_accounts SET last_refreshed_at = now() - interval '1 hour' WHERE id = ${id}`);
    const admin = await createTestUser(ctx, "admin");
    const method = "com.atproto.server.refreshSession";
    const before = proxy.seen.get(method) ?? 0;
    const queue = getTokenRefreshQueue(ctx);
    // Four bursts of five concurrent requests, each after the previous burst's job finished:
    // what a storm spread over a few seconds looks like to the queue (simultaneous requests
    // share one job; later ones get a job of their own).
    for (let burst = 0; burst < 4; burst++) {
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => call(refreshRoute.POST, { method: "POST", token: admin.token, body: { accountId: id } })),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(5).fill(202));
      for (const jobId of new Set(answers.map((a) => a.body.jobId as string))) {
        await waitFor(`refresh job ${jobId} to finish`, async () => {
          const job = await queue.getJob(jobId);
          const state = job ? await job.getState() : "gone";
          return ["completed", "failed", "gone", "unknown"].includes(state) ? true : undefined;
        });
      }
    }
    const calls = (proxy.seen.get(method) ?? 0) - before;
    expect(calls).toBeGreaterThanOrEqual(1);
    expect(calls).toBeLessThanOrEqual(2);
  });
});
