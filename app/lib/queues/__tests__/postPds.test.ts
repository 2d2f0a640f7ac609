import type { Worker } from "bullmq";
import { sql } from "drizzle-orm";
import { Redis } from "ioredis";
import type { RedisMemoryServer } from "redis-memory-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectAccount } from "@/app/lib/accounts/connectAccount";
import { setAppContext, type AppContext } from "@/app/lib/context";
import { createPost } from "@/app/lib/posts/createPost";
import { createQueueBackend } from "@/app/lib/queues/backend";
import { getPostQueue, initPostQueue, processPostJob } from "@/app/lib/queues/postQueue";
import { reconcileOnce } from "@/app/lib/queues/reconciler";
import { createPostWorker } from "@/app/lib/queues/worker";
import { startFaultProxy, type FaultProxy } from "@/test/helpers/faultProxy";
import { startTestPds, type PdsRecord, type TestAccount, type TestPds } from "@/test/helpers/pds";
import { tinyPng } from "@/test/helpers/png";
import { postsApi, waitFor } from "@/test/helpers/postsApi";
import { BACKENDS } from "@/test/helpers/queueBackends";
import { startTestRedis } from "@/test/helpers/redis";
import { createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";
import { startWorkerProcess, type WorkerProcess } from "@/test/helpers/workerProcess";

/**
 * Publishing to a real local PDS (through a fault-injecting proxy), on both queue backends,
 * checked with listRecords on the PDS itself. The Redis suites get a Redis server of their
 * own so FLUSHALL touches nobody else.
 */
let pds: TestPds;
beforeAll(async () => {
  pds = await startTestPds();
}, 120_000);
afterAll(async () => {
  await pds?.close();
});

describe.each(BACKENDS)("publishing to a real PDS on %s", (kind) => {
  let tc: TestContext;
  let ctx: AppContext;
  let redis: RedisMemoryServer | undefined;
  let redisPort = 0;
  let proxy: FaultProxy;
  let alice: TestAccount;
  let bob: TestAccount;
  let aliceId: string;
  let bobId: string;
  let userId: string;
  let api: ReturnType<typeof postsApi>;
  let worker: Worker | undefined;

  beforeAll(async () => {
    tc = await createTestContext(kind, { ATPROTO_PLC_URL: pds.plcUrl, ATPROTO_HANDLE_RESOLVER_URL: pds.url });
    ctx = tc.ctx;
    if (kind === "redis") {
      redis = await startTestRedis();
      redisPort = await redis.getPort();
      ctx = { ...tc.ctx, queues: createQueueBackend({ kind, redis: { host: "127.0.0.1", port: redisPort, maxRetriesPerRequest: null }, prefix: tc.prefix }), openQueues: {} };
      setAppContext(ctx);
    }
    initPostQueue(ctx, { retryDelayMs: 200 });
    proxy = await startFaultProxy(pds.url);
    const { user, token } = await createTestUser(ctx);
    userId = user.id;
    api = postsApi(token);
    [alice, bob] = await Promise.all([pds.createAccount("alice"), pds.createAccount("bob")]);
    aliceId = (await connectAccount(ctx, user.id, { platform: "bluesky", identifier: alice.handle, appPassword: alice.appPassword, service: proxy.url })).account.id;
    bobId = (await connectAccount(ctx, user.id, { platform: "bluesky", identifier: bob.handle, appPassword: bob.appPassword, service: proxy.url })).account.id;
    worker = createPostWorker(ctx) as Worker;
    await worker.waitUntilReady();
  });

  afterAll(async () => {
    await worker?.close();
    await getPostQueue(ctx).close();
    await proxy?.close();
    await tc?.close();
    await redis?.stop();
  });

  const settled = (id: string) =>
    waitFor(
      `post ${id} to settle`,
      async () => {
        const { body } = await api.get(id);
        return ["published", "failed", "partially_failed", "cancelled"].includes(body.post.status) ? body.post : undefined;
      },
      60_000,
    );
  const postsWith = async (did: string, text: string): Promise<PdsRecord[]> => (await pds.listPosts(did)).filter((r) => r.value.text === text);

  it("publishes a thread with images and langs to two accounts, once each", async () => {
    const png = tinyPng(4, 4).toString("base64");
    const text = `thread start ${kind} 🦋 #postmore`;
    const created = await api.create({
      text,
      accountIds: [aliceId, bobId],
      langs: ["en"],
      images: [{ data: png, mimeType: "image/png", alt: "a small pink square" }],
      thread: [{ text: `second ${kind}` }, { text: `third ${kind}`, images: [{ data: png, mimeType: "image/png", alt: "again" }] }],
    });
    expect(created.status).toBe(201);
    const post = await settled(created.body.post.id);
    expect(post.status).toBe("published");
    for (const account of [alice, bob]) {
      const [root] = await postsWith(account.did, text);
      expect(root).toBeDefined();
      expect(root!.value.langs).toEqual(["en"]);
      expect((root!.value.embed as { images: unknown[] }).images).toHaveLength(1);
      const [second] = await postsWith(account.did, `second ${kind}`);
      const [third] = await postsWith(account.did, `third ${kind}`);
      expect(second!.value.reply).toMatchObject({ root: { uri: root!.uri }, parent: { uri: root!.uri } });
      expect(third!.value.reply).toMatchObject({ root: { uri: root!.uri }, parent: { uri: second!.uri } });
      expect((third!.value.embed as { images: Array<{ alt: string }> }).images[0]!.alt).toBe("again");
    }
    expect(post.deliveries.map((d: { remoteUri: string }) => d.remoteUri.split("/")[2]).sort()).toEqual([alice.did, bob.did].sort());
  });

  it("publishes a scheduled post at its time", async () => {
    const text = `scheduled ${kind} ${Date.now()}`;
    const at = new Date(Date.now() + 2000);
    const created = await api.create({ text, accountIds: [aliceId], scheduledAt: at.toISOString() });
    await new Promise((r) => setTimeout(r, 1000));
    expect(await postsWith(alice.did, text)).toHaveLength(0);
    const post = await settled(created.body.post.id);
    expect(post.status).toBe("published");
    expect(await postsWith(alice.did, text)).toHaveLength(1);
  });

  it("retries injected 5xx answers and a response lost after the PDS committed: one post", async () => {
    const text = `flaky ${kind} ${Date.now()}`;
    proxy.inject("com.atproto.repo.putRecord", { kind: "status", status: 502 }, 1);
    proxy.inject("com.atproto.repo.putRecord", { kind: "drop_after_commit" }, 1);
    const created = await api.create({ text, accountIds: [aliceId] });
    const post = await settled(created.body.post.id);
    expect(post.status).toBe("published");
    const outcomes = post.deliveries[0].history.map((h: { outcome: string }) => h.outcome);
    expect(outcomes).toEqual(["retry", "retry", "already_published"]);
    expect(await postsWith(alice.did, text)).toHaveLength(1);
  });

  it("fails a permanent refusal at once, without retrying", async () => {
    const text = `refused ${kind} ${Date.now()}`;
    proxy.inject("com.atproto.repo.putRecord", { kind: "status", status: 400, body: { error: "InvalidRecord", message: "Invalid app.bsky.feed.post record" } }, 1);
    const before = proxy.seen.get("com.atproto.repo.putRecord") ?? 0;
    const created = await api.create({ text, accountIds: [aliceId] });
    const post = await settled(created.body.post.id);
    expect(post.status).toBe("failed");
    expect(post.deliveries[0].lastError).toMatch(/not valid/);
    await new Promise((r) => setTimeout(r, 1000));
    expect((proxy.seen.get("com.atproto.repo.putRecord") ?? 0) - before).toBe(1);
    expect(await postsWith(alice.did, text)).toHaveLength(0);
  });

  it("publishes one record when the same delivery runs three times at once (two workers, a stalled job)", async () => {
    const text = `racing ${kind} ${Date.now()}`;
    const post = await createPost(ctx, userId, { text, accountIds: [aliceId], scheduledAt: new Date(Date.now() + 3600_000).toISOString() });
    const deliveryId = post.deliveries[0]!.id;
    await ctx.database.db.execute(sql`UPDATE deliveries SET scheduled_at = now() WHERE id = ${deliveryId}`);
    const outcomes = await Promise.all([1, 2, 3].map(() => processPostJob(ctx, { deliveryId })));
    expect(outcomes.filter((o) => o === "published")).toHaveLength(1);
    expect(await postsWith(alice.did, text)).toHaveLength(1);
    expect((await api.get(post.id)).body.post.status).toBe("published");
  });

  it("loses nothing when the queue store is wiped (FLUSHALL on Redis) and the reconciler runs", async () => {
    const texts = Array.from({ length: 10 }, (_, i) => `wiped ${kind} ${i} ${Date.now()}`);
    const at = new Date(Date.now() + 3000).toISOString();
    const ids = [];
    for (const text of texts) ids.push((await createPost(ctx, userId, { text, accountIds: [bobId], scheduledAt: at })).id);
    if (kind === "redis") {
      const client = new Redis({ host: "127.0.0.1", port: redisPort });
      await client.flushall();
      await client.quit();
    } else {
      await getPostQueue(ctx).obliterate({ force: true });
    }
    expect(await getPostQueue(ctx).getJobCountByTypes("delayed", "waiting")).toBe(0);
    const report = await reconcileOnce(ctx);
    expect(report.enqueued).toBeGreaterThanOrEqual(10);
    for (const id of ids) expect((await settled(id)).status).toBe("published");
    for (const text of texts) expect(await postsWith(bob.did, text)).toHaveLength(1);
  });

  it("publishes every post exactly once when a worker process is SIGKILLed mid-burst and restarted", async () => {
    await worker?.close();
    worker = undefined;
    const env = {
      DATABASE_URL: tc.databaseUrl,
      POSTMORE_SECRET: tc.secret,
      QUEUE_BACKEND: kind,
      QUEUE_PREFIX: tc.prefix,
      ...(kind === "redis" ? { REDIS_HOST: "127.0.0.1", REDIS_PORT: String(redisPort) } : {}),
    };
    const N = 60;
    const stamp = Date.now();
    const texts = Array.from({ length: N }, (_, i) => `burst ${kind} ${stamp} #${i}`);
    const postIds: string[] = [];
    for (const text of texts) postIds.push((await createPost(ctx, userId, { text, accountIds: [aliceId] })).id);
    const countPublished = async () => {
      const r = await ctx.database.db.execute(
        sql`SELECT count(*)::int AS n FROM deliveries d JOIN posts p ON p.id = d.post_id WHERE d.status = 'published' AND p.text LIKE ${`burst ${kind} ${stamp} %`}`,
      );
      return (r.rows[0] as { n: number }).n;
    };

    let child: WorkerProcess = startWorkerProcess(env);
    await waitFor("the burst to be under way", async () => (await countPublished()) >= 8, 60_000, 20);
    child.kill("SIGKILL");
    await child.exited;
    const atKill = await countPublished();
    expect(atKill).toBeLessThan(N);

    child = startWorkerProcess(env);
    await waitFor("every post of the burst", async () => (await countPublished()) === N, 150_000, 250);
    child.kill("SIGTERM");
    expect(await child.exited, child.output()).toBe(0);

    const onPds = (await pds.listPosts(alice.did)).filter((r) => String(r.value.text).startsWith(`burst ${kind} ${stamp} `));
    const counts = new Map<string, number>();
    for (const r of onPds) counts.set(String(r.value.text), (counts.get(String(r.value.text)) ?? 0) + 1);
    expect(onPds).toHaveLength(N);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(counts.keys())).toEqual(new Set(texts));
    for (const id of postIds.slice(0, 3)) expect((await api.get(id)).body.post.status).toBe("published");
  }, 240_000);
});
