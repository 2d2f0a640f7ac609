import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { connectAccount } from "@/app/lib/accounts/connectAccount";
import { getPostQueue, initPostQueue } from "@/app/lib/queues/postQueue";
import { startFaultProxy, type FaultProxy } from "@/test/helpers/faultProxy";
import { startTestPds, type TestAccount, type TestPds } from "@/test/helpers/pds";
import { postsApi, waitFor } from "@/test/helpers/postsApi";
import { BACKENDS } from "@/test/helpers/queueBackends";
import { createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";
import { startWorkerProcess, type WorkerProcess } from "@/test/helpers/workerProcess";

/**
 * A worker process SIGKILLed while it publishes: the delivery's job keeps its lock until the
 * lock lapses, then the stalled check of another worker runs it again. With the default job
 * lock settings (QUEUE_LOCK_DURATION_MS, QUEUE_STALLED_INTERVAL_MS) the post must be on the
 * PDS — once — within 15 s of the new worker starting.
 */
let pds: TestPds;
beforeAll(async () => {
  pds = await startTestPds();
}, 120_000);
afterAll(async () => {
  await pds?.close();
});

describe.each(BACKENDS)("a worker killed mid-publish on %s", (kind) => {
  let tc: TestContext;
  let proxy: FaultProxy;
  let account: TestAccount;
  let accountId: string;
  let api: ReturnType<typeof postsApi>;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    tc = await createTestContext(kind, { ATPROTO_PLC_URL: pds.plcUrl, ATPROTO_HANDLE_RESOLVER_URL: pds.url });
    initPostQueue(tc.ctx);
    proxy = await startFaultProxy(pds.url);
    const { user, token } = await createTestUser(tc.ctx);
    api = postsApi(token);
    account = await pds.createAccount(`crash${kind.slice(0, 2)}`);
    accountId = (await connectAccount(tc.ctx, user.id, { platform: "bluesky", identifier: account.handle, appPassword: account.appPassword, service: proxy.url }))
      .account.id;
  });
  afterAll(async () => {
    for (const w of workers) w.kill("SIGKILL");
    await Promise.all(workers.map((w) => w.exited));
    await getPostQueue(tc.ctx).close();
    await proxy?.close();
    await tc?.close();
  });

  const env = () => ({
    DATABASE_URL: tc.databaseUrl,
    POSTMORE_SECRET: tc.secret,
    QUEUE_BACKEND: kind,
    ...(kind === "redis" ? { REDIS_HOST: "127.0.0.1", REDIS_PORT: String(inject("redisPort")), QUEUE_PREFIX: tc.prefix } : {}),
  });

  it("publishes the delivery exactly once within 15 s of a new worker starting", async () => {
    // The first write hangs: the worker is mid-publish (job locked, delivery publishing) when it dies.
    proxy.inject("putRecord", { kind: "hold" }, 1);
    const first = startWorkerProcess(env());
    workers.push(first);
    const text = `survives a SIGKILL on ${kind}`;
    const created = await api.create({ text, accountIds: [accountId] });
    expect(created.status).toBe(201);
    await waitFor("the worker to be writing the post", async () => (proxy.applied > 0 ? true : undefined), 60_000);
    first.kill("SIGKILL");
    expect(await first.exited).toBeNull();

    // At info level the worker logs "workers started" once it takes jobs: the clock starts there
    // (booting the process itself takes seconds on a loaded 2-core machine and is not the point).
    const second = startWorkerProcess({ ...env(), LOG_LEVEL: "info" });
    workers.push(second);
    const post = await waitFor(
      "the post to be published by the new worker",
      async () => {
        const p = (await api.get(created.body.post.id)).body.post;
        return p.status === "published" ? p : undefined;
      },
      60_000,
    );
    const readyAt = second
      .output()
      .split("\n")
      .filter((line) => line.includes('"workers started"'))
      .map((line) => (JSON.parse(line) as { time: number }).time)[0];
    expect(readyAt).toBeDefined();
    expect(new Date(post.deliveries[0].publishedAt).getTime() - readyAt!).toBeLessThan(15_000);
    const onPds = (await pds.listPosts(account.did)).filter((r) => r.value.text === text);
    expect(onPds).toHaveLength(1);
    expect(post.deliveries[0].remoteUri).toBe(onPds[0]!.uri);
  });
});
