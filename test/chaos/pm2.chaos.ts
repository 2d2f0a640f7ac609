import { execFile } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ensureBuild } from "@/e2e/servers";
import { freePort } from "@/test/helpers/freePort";
import { connectPdsAccounts } from "@/test/helpers/connectAccounts";
import { startTestPds, type TestPds } from "@/test/helpers/pds";
import { waitFor } from "@/test/helpers/postsApi";
import { getPostQueue } from "@/app/lib/queues/postQueue";
import { createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";

/**
 * The seed's production setup, for real: `pm2 start ecosystem.config.cjs` (PM2 7 from
 * devDependencies, its own PM2_HOME) on this Node against the test PostgreSQL, Redis and the
 * local PDS. Two cluster-mode webs and two workers come up healthy; a worker SIGKILLed while it
 * publishes is restarted by PM2 and every post lands once; `pm2 reload` of the web under
 * steady load fails no request. In `npm run test:chaos` (1.5–2.5 minutes: each new web warms up
 * before it listens, and the killed worker's jobs wait out their lock before another worker takes them).
 */
const root = path.resolve(import.meta.dirname, "../..");
const pm2Bin = path.join(root, "node_modules/pm2/bin/pm2");
const pm2Home = fs.mkdtempSync(path.join(os.tmpdir(), "postmore-pm2-"));
const POSTS_PER_ACCOUNT = 25;
// `pm2 reload` returns once every web has been replaced, and each new web listens only when it
// answers its health check (half a minute per web on this loaded 2-core machine).
const PM2_COMMAND_TIMEOUT_MS = 300_000;
const run = promisify(execFile);

interface Pm2Process {
  name: string;
  pid: number;
  pm2_env: { status: string; restart_time: number; pm_id: number };
}

describe("PM2 with ecosystem.config.cjs", () => {
  let t: TestContext;
  let pds: TestPds;
  let env: NodeJS.ProcessEnv;
  let url = "";
  let token = "";
  const accounts: Array<{ id: string; did: string }> = [];

  const pm2 = async (...args: string[]) => (await run(process.execPath, [pm2Bin, ...args], { cwd: root, env, timeout: PM2_COMMAND_TIMEOUT_MS })).stdout;
  const list = async () => JSON.parse(await pm2("jlist")) as Pm2Process[];
  const online = async (name: string) => (await list()).filter((p) => p.name === name && p.pm2_env.status === "online" && p.pid > 0);

  beforeAll(async () => {
    await ensureBuild((line) => console.log(line)); // a no-op when .next and dist/ are current
    pds = await startTestPds();
    t = await createTestContext("redis", { ATPROTO_PLC_URL: pds.plcUrl, ATPROTO_HANDLE_RESOLVER_URL: pds.url });
    token = (await createTestUser(t.ctx, "admin")).token;
    accounts.push(...(await connectPdsAccounts(pds, token, ["pma", "pmb"])));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    env = {
      NODE_ENV: "production",
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      PM2_HOME: pm2Home,
      DATABASE_URL: t.databaseUrl,
      POSTMORE_SECRET: t.secret,
      QUEUE_BACKEND: "redis",
      REDIS_HOST: "127.0.0.1",
      REDIS_PORT: String(inject("redisPort")),
      QUEUE_PREFIX: t.prefix,
      PORT: String(port),
      HOSTNAME: "127.0.0.1",
      LOG_LEVEL: "warn",
      // the workers publish to the local PDS through the outbound guard
      OUTBOUND_ALLOWLIST: pds.env.OUTBOUND_ALLOWLIST,
    };
    await pm2("start", "ecosystem.config.cjs");
  }, 240_000);

  afterAll(async () => {
    try {
      await pm2("kill"); // stops every app and the daemon of this PM2_HOME
    } catch {
      // a daemon that does not answer: end it and its apps by the pid files PM2 keeps
      const pidsDir = path.join(pm2Home, "pids");
      const files = [path.join(pm2Home, "pm2.pid"), ...(fs.existsSync(pidsDir) ? fs.readdirSync(pidsDir).map((f) => path.join(pidsDir, f)) : [])];
      for (const file of files) {
        try {
          process.kill(Number(fs.readFileSync(file, "utf8")), "SIGKILL");
        } catch {
          // gone already
        }
      }
    }
    fs.rmSync(pm2Home, { recursive: true, force: true });
    await pds?.close();
    if (t) await getPostQueue(t.ctx).close();
    await t?.close();
  }, 120_000);

  const api = (method: string, route: string, body?: unknown) =>
    fetch(`${url}${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it("starts two cluster-mode webs and two workers on compiled JavaScript, and the web is healthy", async () => {
    await waitFor("webs and workers online", async () => (await online("postmore-web")).length === 2 && (await online("postmore-worker")).length === 2, 120_000, 500);
    const res = await waitFor("health", async () => {
      const r = await fetch(`${url}/api/health`).catch(() => undefined);
      return r?.status === 200 ? r : undefined;
    }, 120_000, 500);
    expect(await res.json()).toMatchObject({ status: "ok", db: "ok", queue: "ok", queueBackend: "redis" });
    const webs = await online("postmore-web");
    expect(webs.every((p) => p.pm2_env.restart_time === 0)).toBe(true);
  }, 240_000);

  it("restarts a SIGKILLed worker and publishes its in-flight deliveries once", async () => {
    const dueAt = new Date(Date.now() + 3000).toISOString();
    for (let i = 0; i < POSTS_PER_ACCOUNT; i++) {
      const res = await api("POST", "/api/posts", { text: `pm2 post ${i}`, accountIds: accounts.map((a) => a.id), scheduledAt: dueAt });
      expect(res.status).toBe(201);
    }
    await waitFor("first publication", async () => {
      const r = await t.ctx.database.pool.query("select count(*)::int as n from deliveries where status = 'published'");
      return r.rows[0].n > 0;
    }, 60_000, 50);
    const [victim] = await online("postmore-worker");
    process.kill(victim!.pid, "SIGKILL");

    await waitFor("PM2 restarted the worker", async () => {
      const again = (await online("postmore-worker")).find((p) => p.pm2_env.pm_id === victim!.pm2_env.pm_id);
      return again !== undefined && again.pid !== victim!.pid && again.pm2_env.restart_time >= 1;
    }, 60_000, 300);
    await waitFor("all published", async () => {
      const r = await t.ctx.database.pool.query("select count(*)::int as n from deliveries where status = 'published'");
      return r.rows[0].n === POSTS_PER_ACCOUNT * accounts.length;
    }, 150_000, 500);
    for (const a of accounts) {
      const texts = (await pds.listPosts(a.did)).map((r) => r.value.text as string);
      expect(texts).toHaveLength(POSTS_PER_ACCOUNT);
      expect(new Set(texts).size).toBe(POSTS_PER_ACCOUNT);
    }
    // The killed worker held jobs: BullMQ found them stalled and another worker ran them again.
    const recovered = (await getPostQueue(t.ctx).getJobs(["completed"], 0, -1)).filter((j) => j.stalledCounter > 0);
    console.log(`jobs taken over from the SIGKILLed worker: ${recovered.length}`);
    expect(recovered.length).toBeGreaterThan(0);
  }, 240_000);

  it("answers every request while `pm2 reload` replaces the webs under load", async () => {
    const before = (await online("postmore-web")).map((p) => p.pid);
    let ok = 0;
    const failures: string[] = [];
    let loading = true;
    // A new connection per request (no keep-alive), as many independent clients would open.
    const once = () =>
      new Promise<void>((resolve) => {
        const req = http.get(`${url}/api/health`, { agent: false }, (res) => {
          res.resume();
          res.on("end", () => {
            if (res.statusCode === 200) ok++;
            else failures.push(`HTTP ${res.statusCode}`);
            resolve();
          });
        });
        // A request the reload leaves unanswered counts as failed instead of hanging the test.
        req.setTimeout(10_000, () => req.destroy(new Error("no answer within 10 s")));
        req.on("error", (err) => {
          failures.push(err.message);
          resolve();
        });
      });
    const clients = Array.from({ length: 4 }, async () => {
      while (loading) await once();
    });
    await waitFor("load under way", async () => ok > 20, 30_000, 50);
    await pm2("reload", "postmore-web");
    const afterReload = ok;
    await waitFor("load after reload", async () => ok > afterReload + 20, 30_000, 50);
    loading = false;
    await Promise.all(clients);

    console.log(`pm2 reload under load: ${ok} requests, ${failures.length} failed`);
    expect(failures.length, `first failures: ${failures.slice(0, 5).join("; ")}`).toBe(0);
    const after = (await online("postmore-web")).map((p) => p.pid);
    expect(after).toHaveLength(2);
    expect(after.filter((pid) => before.includes(pid))).toEqual([]); // both webs are new processes
  }, 420_000);
});
