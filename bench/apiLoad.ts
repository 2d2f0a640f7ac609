import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import net from "node:net";
import path from "node:path";
import { sql } from "drizzle-orm";
import { createApiToken } from "@/app/lib/auth/apiTokens";
import type { QueueBackendKind } from "@/app/lib/config";
import { createSecretBox } from "@/app/lib/crypto/secretBox";
import { getPostQueue } from "@/app/lib/queues/postQueue";
import { ensureBuild, startWeb, waitForHealth } from "@/e2e/servers";
import { insertMemoryAccount } from "@/test/helpers/memoryPlatform";
import type { ClientJob, ClientResult } from "./apiLoadClient";
import { cpuOf, cpuOfTree, postmasterPid, redisPid } from "./procCpu";
import { backendsArg, benchContext, benchUser, figure, machine, startBenchServices, type Bench, type BenchContext, type BenchServices, type Figure, type PgProfile } from "./harness";

/**
 * POST /api/posts against the production build (`next start`), loaded by autocannon in its
 * own process so the load generator does not share the server's event loop. Every post is
 * scheduled an hour ahead: nothing publishes during the run, and no worker is needed.
 *
 * Each connection count gets a short probe (warm-up, and the request rate it reaches), then
 * a measured run of a fixed number of requests sized from that rate (~`seconds` long). A
 * fixed count lets autocannon wait for every response, so afterwards the database must hold
 * exactly one post per 2xx it saw (nothing lost, nothing doubled) and the queue one delayed
 * job per delivery. A run stopped by duration would abort requests in flight instead.
 */

const clientScript = path.join(import.meta.dirname, "apiLoadClient.ts");
const tsxCli = path.join(import.meta.dirname, "..", "node_modules/tsx/dist/cli.mjs");

type Cannon = { probe: ClientResult; amount: number; run: ClientResult };

/** Probe and measured run in one child process (bench/apiLoadClient.ts). */
function cannon(job: ClientJob): Promise<Cannon> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [tsxCli, clientScript, JSON.stringify(job)], { maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`autocannon failed: ${err.message}\n${stderr}`));
      resolve(JSON.parse(stdout) as Cannon);
    });
  });
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.once("error", reject);
  });

export interface LoadRun {
  connections: number;
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** From /proc: stable under the neighbours' load, unlike latency. */
  cpuMsPerRequest: { web: number; postgres: number; redis: number };
  loadAverage: number;
}

function failures(label: string, r: ClientResult): void {
  if (r.non2xx > 0 || r.errors > 0 || r.timeouts > 0) {
    throw new Error(`api-load ${label}: ${r.non2xx} non-2xx responses, ${r.errors} errors, ${r.timeouts} timeouts`);
  }
}

/** Posts whose text starts with `tag` (each request's text is `tag` + a unique id). */
async function postsTagged(bench: BenchContext, tag: string): Promise<{ n: number; distinct: number }> {
  const rows = await bench.ctx.database.db.execute(
    sql`SELECT count(*)::int AS n, count(DISTINCT text)::int AS distinct FROM posts WHERE text LIKE ${`${tag} %`}`,
  );
  return rows.rows[0] as { n: number; distinct: number };
}

/** CPU ms so far of the web process, the PostgreSQL cluster and redis-server. */
type CpuMeter = () => { web: number; postgres: number; redis: number };

async function measure(bench: BenchContext, url: string, token: string, accountId: string, connections: number, seconds: number, cpu: CpuMeter): Promise<LoadRun> {
  const probeSeconds = Math.max(1, Math.round(seconds / 4));
  const before = cpu();
  // The CPU window also covers the probe (same requests, same server): CPU per request is the
  // same either way, and the client cannot report where one ends without a second process.
  const { probe, amount, run } = await cannon({ url, token, accountIds: [accountId], scheduledAt: new Date(Date.now() + 3600_000).toISOString(), connections, probeSeconds, seconds });
  const after = cpu();
  failures(`probe at ${connections} connections`, probe);
  failures(`${connections} connections`, run);
  // A stopped probe aborts up to `connections` requests in flight: the server may still store them.
  const probed = await postsTagged(bench, `probe-c${connections}`);
  if (probed.n < probe.ok || probed.n > probe.sent || probed.distinct !== probed.n) {
    throw new Error(`api-load probe: ${probed.n} posts (${probed.distinct} distinct) for ${probe.ok} 2xx of ${probe.sent} sent`);
  }
  const stored = await postsTagged(bench, `run-c${connections}`);
  if (stored.n !== run.ok || stored.distinct !== stored.n || run.ok !== amount) {
    throw new Error(`api-load: ${stored.n} posts (${stored.distinct} distinct) stored for ${run.ok} 2xx of ${amount} requests`);
  }
  const perRequest = (k: keyof typeof before) => Number(((after[k] - before[k]) / (probed.n + run.ok)).toFixed(2));
  return {
    connections,
    requests: run.ok,
    seconds: Number(run.seconds.toFixed(2)),
    requestsPerSecond: Math.round(run.ok / run.seconds),
    p50Ms: run.latencyMs.p50,
    p99Ms: run.latencyMs.p99,
    maxMs: run.latencyMs.max,
    cpuMsPerRequest: { web: perRequest("web"), postgres: perRequest("postgres"), redis: perRequest("redis") },
    loadAverage: machine().loadAverage,
  };
}

/** Every post has its one delivery and every delivery its delayed job (ids derive from delivery ids). */
async function checkQueue(bench: BenchContext): Promise<{ posts: number; deliveries: number; delayedJobs: number }> {
  const rows = await bench.ctx.database.db.execute(
    sql`SELECT (SELECT count(*)::int FROM posts) AS posts, (SELECT count(*)::int FROM deliveries) AS deliveries`,
  );
  const { posts, deliveries } = rows.rows[0] as { posts: number; deliveries: number };
  const queue = getPostQueue(bench.ctx);
  const { delayed = 0 } = await queue.getJobCounts("delayed");
  await queue.close();
  if (deliveries !== posts || delayed !== deliveries) {
    throw new Error(`api-load: ${posts} posts, ${deliveries} deliveries, ${delayed} delayed jobs (expected all equal)`);
  }
  return { posts, deliveries, delayedJobs: delayed };
}

async function onBackend(services: BenchServices, kind: QueueBackendKind, connections: number[], seconds: number, nodeOptions?: string) {
  const bench = await benchContext(services, kind);
  const secret = randomBytes(32).toString("hex");
  let web: ReturnType<typeof startWeb> | undefined;
  try {
    const user = await benchUser(bench.ctx);
    // Sealed with the web process's secret, as the real app would have stored it.
    const account = await insertMemoryAccount({ ...bench.ctx, box: createSecretBox(secret) }, user.id);
    const { token } = await createApiToken(bench.ctx.database.db, user.email, "bench");
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: "production",
      LOG_LEVEL: "warn",
      DATABASE_URL: bench.databaseUrl,
      POSTMORE_SECRET: secret,
      QUEUE_BACKEND: kind,
      ...(kind === "redis" ? { REDIS_HOST: "127.0.0.1", REDIS_PORT: String(await services.redis!.getPort()), QUEUE_PREFIX: bench.queue.prefix } : {}),
      // e.g. `--web-node-options "--require ./profile.cjs"` (Node refuses --cpu-prof in NODE_OPTIONS).
      ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
    };
    web = startWeb(port, env);
    const base = `http://127.0.0.1:${port}`;
    await waitForHealth(base, web);
    const pgPid = postmasterPid(services.postgres.dir);
    const redis = kind === "redis" ? redisPid(await services.redis!.getPort()) : undefined;
    const webPid = web.child.pid;
    const cpu: CpuMeter = () => ({ web: cpuOf(webPid), postgres: cpuOfTree(pgPid), redis: cpuOf(redis) });
    const runs: LoadRun[] = [];
    for (const c of connections) {
      const run = await measure(bench, `${base}/api/posts`, token, account.id, c, seconds, cpu);
      const ms = run.cpuMsPerRequest;
      console.log(
        `${kind}, ${c} connections: ${run.requestsPerSecond} req/s, p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms, max ${run.maxMs} ms ` +
          `(${run.requests} requests; CPU ms/request web ${ms.web}, postgres ${ms.postgres}, redis ${ms.redis}; load ${run.loadAverage})`,
      );
      runs.push(run);
    }
    return { runs, stored: await checkQueue(bench) };
  } catch (err) {
    // What the server said is usually the reason.
    if (web && err instanceof Error) err.message += `\nweb output (last lines):\n${web.output().slice(-3000)}`;
    throw err;
  } finally {
    await web?.stop();
    await bench.close();
  }
}

export const runApiLoadBench: Bench = async (args) => {
  const seconds = Number(args.options.get("seconds") ?? (args.smoke ? 1 : 10));
  const connections = args.options.get("connections")?.split(",").map(Number) ?? (args.smoke ? [1, 10] : [1, 10, 50]);
  const backends = backendsArg(args);
  const pg = (args.options.get("pg") ?? "fsync-off") as PgProfile;
  await ensureBuild((line) => console.log(line));
  const services = await startBenchServices({ redis: backends.includes("redis"), pg });
  const figures: Figure[] = [];
  const details: Record<string, unknown> = { seconds, pg, notes: "autocannon in its own process; fixed request count per run, sized from a probe" };
  try {
    for (const kind of backends) {
      const result = await onBackend(services, kind, connections, seconds, args.options.get("web-node-options"));
      details[kind] = result;
      for (const r of result.runs) {
        const at10 = r.connections === 10;
        figures.push(figure(`POST /api/posts, ${kind}, ${r.connections} connections`, r.requestsPerSecond, "req/s", at10 ? { text: "≥ 500", met: r.requestsPerSecond >= 500 } : undefined));
        figures.push(figure(`POST /api/posts p50, ${kind}, ${r.connections} connections`, r.p50Ms, "ms"));
        figures.push(figure(`POST /api/posts p99, ${kind}, ${r.connections} connections`, r.p99Ms, "ms", at10 ? { text: "≤ 100", met: r.p99Ms <= 100 } : undefined));
      }
    }
  } finally {
    await services.close();
  }
  return { figures, details };
};
