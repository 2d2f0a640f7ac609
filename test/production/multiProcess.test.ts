import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWeb, waitForHealth, type Proc } from "@/e2e/servers";
import { freePort } from "@/test/helpers/freePort";
import { connectPdsAccounts } from "@/test/helpers/connectAccounts";
import { startTestPds, type TestPds } from "@/test/helpers/pds";
import { waitFor } from "@/test/helpers/postsApi";
import { createTestContext, createTestUser, LOOPBACK_ALLOWLIST, type TestContext } from "@/test/helpers/testContext";
import { startWorkerProcess, type WorkerProcess } from "@/test/helpers/workerProcess";
import { inject } from "vitest";
import { startRefreshWatch, type RefreshWatch } from "./refreshWatch";

/**
 * Scale-out on one machine, as production runs it: 3 worker processes and 2 web processes
 * against one Redis and one PostgreSQL. Posts scheduled through either web land once; one
 * worker is stopped with SIGTERM mid-burst and hands its work back; the weekly scheduler
 * exists once; a storm of refresh requests never runs two refreshes of one account at once.
 */
const POSTS_PER_ACCOUNT = 25;

describe("3 workers + 2 web processes on Redis", () => {
  let t: TestContext;
  let pds: TestPds;
  let watch: RefreshWatch;
  let env: Record<string, string>;
  const webs: Proc[] = [];
  const workers: WorkerProcess[] = [];
  const urls: string[] = [];
  let token = "";
  const accounts: Array<{ id: string; did: string }> = [];

  beforeAll(async () => {
    pds = await startTestPds();
    t = await createTestContext("redis", { ATPROTO_PLC_URL: pds.plcUrl, ATPROTO_HANDLE_RESOLVER_URL: pds.url });
    watch = await startRefreshWatch(pds.url);
    token = (await createTestUser(t.ctx, "admin")).token;
    accounts.push(...(await connectPdsAccounts(pds, token, ["mpa", "mpb"], watch.url)));
    env = {
      DATABASE_URL: t.databaseUrl,
      POSTMORE_SECRET: t.secret,
      QUEUE_BACKEND: "redis",
      REDIS_HOST: "127.0.0.1",
      REDIS_PORT: String(inject("redisPort")),
      QUEUE_PREFIX: t.prefix,
      LOG_LEVEL: "warn",
      OUTBOUND_ALLOWLIST: LOOPBACK_ALLOWLIST,
    };
    for (let i = 0; i < 3; i++) workers.push(startWorkerProcess(env));
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const web = startWeb(port, { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "production", ...env } as NodeJS.ProcessEnv);
      webs.push(web);
      urls.push(`http://127.0.0.1:${port}`);
    }
    await Promise.all(urls.map((u, i) => waitForHealth(u, webs[i]!)));
  }, 180_000);

  afterAll(async () => {
    for (const w of workers) w.kill("SIGKILL");
    await Promise.all(webs.map((w) => w.stop()));
    await watch?.close();
    await pds?.close();
    await t?.close();
  });

  const api = (i: number, method: string, path: string, body?: unknown) =>
    fetch(`${urls[i % urls.length]}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it("publishes every post once while a worker is stopped with SIGTERM mid-burst", async () => {
    const dueAt = new Date(Date.now() + 3000).toISOString();
    const created = await Promise.all(
      Array.from({ length: POSTS_PER_ACCOUNT }, async (_, i) => {
        const res = await api(i, "POST", "/api/posts", {
          text: `multi-process post ${i}`,
          accountIds: accounts.map((a) => a.id),
          scheduledAt: dueAt,
        });
        expect(res.status).toBe(201);
        return ((await res.json()) as { post: { id: string } }).post.id;
      }),
    );

    // Once publishing has begun, stop one worker gracefully: it must exit cleanly by itself.
    await waitFor("first publication", async () => {
      const r = await t.ctx.database.pool.query("select count(*)::int as n from deliveries where status = 'published'");
      return r.rows[0].n > 0;
    });
    workers[0]!.kill("SIGTERM");
    expect(await workers[0]!.exited).toBe(0);

    await waitFor(
      "all published",
      async () => {
        const r = await t.ctx.database.pool.query("select count(*)::int as n from deliveries where status = 'published'");
        return r.rows[0].n === POSTS_PER_ACCOUNT * accounts.length;
      },
      120_000,
      500,
    );
    for (const a of accounts) {
      const records = await pds.listPosts(a.did);
      const texts = records.map((r) => r.value.text as string).sort();
      expect(texts).toHaveLength(POSTS_PER_ACCOUNT);
      expect(new Set(texts).size).toBe(POSTS_PER_ACCOUNT);
    }
    const statuses = await Promise.all(created.map(async (id, i) => ((await (await api(i, "GET", `/api/posts/${id}`)).json()) as { post: { status: string } }).post.status));
    expect(new Set(statuses)).toEqual(new Set(["published"]));
  }, 180_000);

  it("keeps one weekly scheduler however many processes started", async () => {
    const res = await api(0, "GET", "/api/admin/queues");
    const body = (await res.json()) as { schedulers: Array<{ id: string; pattern: string }> };
    expect(body.schedulers.filter((s) => s.id === "weekly-token-refresh")).toHaveLength(1);
    expect(body.schedulers.find((s) => s.id === "weekly-token-refresh")).toMatchObject({ pattern: "0 0 * * 0" });
  });

  it("never runs two refreshes of one account at once across processes, and the accounts keep working", async () => {
    const storm = [
      ...Array.from({ length: 20 }, (_, i) => api(i, "POST", "/api/admin/refresh-tokens", { accountId: accounts[i % 2]!.id })),
      ...Array.from({ length: 6 }, (_, i) => api(i, "POST", "/api/admin/refresh-tokens", {})),
    ];
    for (const res of await Promise.all(storm)) expect(res.status).toBe(202);
    await waitFor(
      "refreshes done",
      async () => {
        const q = (await (await api(0, "GET", "/api/admin/queues")).json()) as {
          queues: Record<string, { waiting: number; active: number; delayed: number }>;
        };
        const r = q.queues["token-refresh"]!;
        return r.waiting + r.active === 0 && [...watch.refreshes.values()].reduce((a, b) => a + b, 0) > 0;
      },
      60_000,
      300,
    );
    expect(watch.maxInFlight()).toBe(1);
    console.log(`refreshSession per account: ${JSON.stringify(Object.fromEntries(watch.refreshes))}, max in flight ${watch.maxInFlight()}`);

    const after = await api(0, "POST", "/api/posts", { text: "still connected after the storm", accountIds: accounts.map((a) => a.id) });
    expect(after.status).toBe(201);
    const id = ((await after.json()) as { post: { id: string } }).post.id;
    await waitFor("published after storm", async () => {
      const p = (await (await api(1, "GET", `/api/posts/${id}`)).json()) as { post: { status: string } };
      return p.post.status === "published";
    }, 60_000, 300);
  }, 120_000);
});
