import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { POST as connect } from "@/app/api/accounts/route";
import { ConfigError, loadConfig } from "@/app/lib/config";
import { createAppContext, setAppContext, type AppContext } from "@/app/lib/context";
import { startWeb, waitForHealth, type Proc } from "@/e2e/servers";
import { freePort } from "@/test/helpers/freePort";
import { call } from "@/test/helpers/http";
import { startTestPds, type TestPds } from "@/test/helpers/pds";
import { waitFor } from "@/test/helpers/postsApi";
import { createTestUser } from "@/test/helpers/testContext";
import { createTestDatabase } from "@/test/helpers/testDb";
import { startWorkerProcess, type WorkerProcess } from "@/test/helpers/workerProcess";
import { pgClientPorts } from "./pgConnections";

/**
 * PostgreSQL connections per process on the PostgreSQL queue backend, as docs/PRODUCTION.md
 * states them: counted in pg_stat_activity (attributed to a process by its sockets' ports)
 * while a burst of posts goes out, with the default pools and with DATABASE_POOL_MAX=2,
 * QUEUE_DATABASE_POOL_MAX=1. The documented ceiling: DATABASE_POOL_MAX + 6 ×
 * (QUEUE_DATABASE_POOL_MAX + 1) for a worker (3 workers — posts, token refresh, webhooks — and
 * their 3 queues, each a pool and at most one LISTEN connection), DATABASE_POOL_MAX + 3 ×
 * (QUEUE_DATABASE_POOL_MAX + 1) for a web process (the same 3 queues).
 */
const ceiling = (dataPool: number, queuePool: number, queueObjects: number) => dataPool + queueObjects * (queuePool + 1);

describe("PostgreSQL pools", () => {
  let testDb: Awaited<ReturnType<typeof createTestDatabase>>;
  let ctx: AppContext;
  let pds: TestPds;
  const webs: Proc[] = [];
  const workers: WorkerProcess[] = [];
  const secret = randomBytes(32).toString("hex");

  beforeAll(async () => {
    testDb = await createTestDatabase();
    pds = await startTestPds();
    ctx = createAppContext(loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", QUEUE_BACKEND: "postgres", ...pds.env }), {
      databaseUrl: testDb.url,
      secret,
    });
    setAppContext(ctx);
  }, 120_000);
  afterAll(async () => {
    setAppContext(undefined);
    for (const w of workers) {
      w.kill("SIGKILL");
      await w.exited;
    }
    await Promise.all(webs.map((w) => w.stop()));
    await ctx?.database.close();
    await pds?.close();
    await testDb?.drop();
  });

  it("refuses a multi-host DATABASE_URL at start-up with a clear message", async () => {
    const url = "postgres://u:hunter2@db1:5432,db2:5432/postmore?target_session_attrs=read-write";
    expect(() => loadConfig({ DATABASE_URL: url })).toThrow(ConfigError);
    expect(() => loadConfig({ DATABASE_URL: url })).toThrow(/DATABASE_URL=.*one host.*one writable endpoint/s);
    const worker = startWorkerProcess({ DATABASE_URL: url, POSTMORE_SECRET: randomBytes(32).toString("hex") });
    workers.push(worker);
    expect(await worker.exited).toBe(1);
    expect(worker.output()).toContain("one writable endpoint");
    expect(worker.output()).not.toContain("Invalid URL");
    expect(worker.output()).not.toContain("hunter2");
  });

  it("keeps each process within its documented connection count, smaller with smaller pools", async () => {
    const { token } = await createTestUser(ctx, "admin");
    const acct = await pds.createAccount("pool");
    const res = await call(connect, {
      method: "POST",
      token,
      body: { platform: "bluesky", identifier: acct.handle, appPassword: acct.appPassword, service: pds.url },
    });
    expect(res.status).toBe(201);
    const accountId = res.body.account.id as string;

    const env = { DATABASE_URL: testDb.url, POSTMORE_SECRET: secret, QUEUE_BACKEND: "postgres", LOG_LEVEL: "warn" };
    const worker = startWorkerProcess(env);
    const small = startWorkerProcess({ ...env, DATABASE_POOL_MAX: "2", QUEUE_DATABASE_POOL_MAX: "1" });
    workers.push(worker, small);
    const urls: string[] = [];
    for (const pools of [{}, { DATABASE_POOL_MAX: "2", QUEUE_DATABASE_POOL_MAX: "1" }]) {
      const port = await freePort();
      const web = startWeb(port, { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "production", ...env, ...pools } as NodeJS.ProcessEnv);
      webs.push(web);
      urls.push(`http://127.0.0.1:${port}`);
      await waitForHealth(urls.at(-1)!, web);
    }

    const pgPort = inject("pgPort");
    const peak = { worker: 0, small: 0, web: 0, webSmall: 0 };
    const sample = async () => {
      const { rows } = await ctx.database.pool.query<{ client_port: number }>(
        "select client_port from pg_stat_activity where datname = current_database() and client_port is not null",
      );
      const inDb = new Set(rows.map((r) => r.client_port));
      const count = (pid: number) => [...pgClientPorts(pid, pgPort)].filter((p) => inDb.has(p)).length;
      peak.worker = Math.max(peak.worker, count(worker.pid));
      peak.small = Math.max(peak.small, count(small.pid));
      peak.web = Math.max(peak.web, count(webs[0]!.child.pid!));
      peak.webSmall = Math.max(peak.webSmall, count(webs[1]!.child.pid!));
    };

    // 40 requests at once to each web: enough to fill a 10-connection data pool.
    const created = await Promise.all(
      Array.from({ length: 80 }, (_, i) =>
        fetch(`${urls[i % 2]}/api/posts`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ text: `pool post ${i}`, accountIds: [accountId] }),
        }).then((r) => r.status),
      ),
    );
    expect(new Set(created)).toEqual(new Set([201]));
    await waitFor(
      "every post published",
      async () => {
        await sample();
        const r = await ctx.database.pool.query("select count(*)::int as n from deliveries where status = 'published'");
        return r.rows[0].n === 80;
      },
      120_000,
      250,
    );
    await sample();
    console.log(`pg connections per process (peak): ${JSON.stringify(peak)}`);
    expect(peak.worker).toBeGreaterThan(0);
    expect(peak.small).toBeGreaterThan(0);
    expect(peak.web).toBeGreaterThan(0);
    expect(peak.webSmall).toBeGreaterThan(0);
    expect(peak.worker).toBeLessThanOrEqual(ceiling(10, 5, 6));
    expect(peak.small).toBeLessThanOrEqual(ceiling(2, 1, 6));
    expect(peak.web).toBeLessThanOrEqual(ceiling(10, 5, 3));
    expect(peak.webSmall).toBeLessThanOrEqual(ceiling(2, 1, 3));
  }, 240_000);
});
