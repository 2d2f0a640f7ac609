import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import { connectAccount } from "@/app/lib/accounts/connectAccount";
import { createUser } from "@/app/lib/auth/users";
import { createApiToken } from "@/app/lib/auth/apiTokens";
import { loadConfig } from "@/app/lib/config";
import { createAppContext, setAppContext, type AppContext } from "@/app/lib/context";
import { createDatabase } from "@/app/lib/db/client";
import { migrateDatabase } from "@/app/lib/db/migrate";
import { createPost } from "@/app/lib/posts/createPost";
import { getPostQueue, initPostQueue } from "@/app/lib/queues/postQueue";
import { LOOPBACK_ALLOWLIST } from "../helpers/loopback";
import type { TestPds } from "../helpers/pds";
import { waitFor } from "../helpers/postsApi";
import { createTestDatabase } from "../helpers/testDb";
import { startWorkerProcess, type WorkerProcess } from "../helpers/workerProcess";
import type { RunningPostgres } from "../helpers/embeddedPg";
import { startChaosRedis, type ChaosRedis } from "./redisServer";

export type Backend = "redis" | "postgres";

/**
 * One chaos run's world: its own database (on the shared cluster or a dedicated one that
 * may be restarted), its own Redis with AOF (redis backend), a user, and PDS accounts
 * connected through `service` (the PDS itself or a fault proxy in front of it).
 */
export interface ChaosSetup {
  kind: Backend;
  ctx: AppContext;
  databaseUrl: string;
  secret: string;
  prefix: string;
  redis?: ChaosRedis;
  userId: string;
  token: string;
  accounts: Array<{ id: string; did: string }>;
  /** Environment of a `npm run worker` child for this world. */
  workerEnv(extra?: Record<string, string>): Record<string, string>;
  close(): Promise<void>;
}

export interface SetupOptions {
  kind: Backend;
  pds: TestPds;
  /** PDS URL the accounts are connected with (default: the PDS itself). */
  service?: string;
  accounts?: number;
  postgres?: RunningPostgres;
  /** First retry delay of the publish jobs (doubles per attempt). */
  retryDelayMs?: number;
}

/** How often the worker children reconcile (production default: 300 s). */
export const CHAOS_RECONCILE_SECONDS = 5;

export async function setupChaos(opts: SetupOptions): Promise<ChaosSetup> {
  const { kind, pds } = opts;
  let databaseUrl: string;
  let dropDatabase: () => Promise<void>;
  if (opts.postgres) {
    databaseUrl = await opts.postgres.createDatabase(`chaos_${randomBytes(5).toString("hex")}`);
    const database = createDatabase(databaseUrl);
    await migrateDatabase(database);
    await database.close();
    dropDatabase = async () => {};
  } else {
    const testDb = await createTestDatabase();
    databaseUrl = testDb.url;
    dropDatabase = () => testDb.drop();
  }
  const redis = kind === "redis" ? await startChaosRedis() : undefined;
  const secret = randomBytes(32).toString("hex");
  const prefix = `{c${randomBytes(4).toString("hex")}}`;
  const config = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "warn", QUEUE_BACKEND: kind, ...pds.env, OUTBOUND_ALLOWLIST: LOOPBACK_ALLOWLIST });
  const queue = redis
    ? { kind, redis: { host: "127.0.0.1", port: redis.port, maxRetriesPerRequest: null }, prefix }
    : { kind, postgres: { connectionString: databaseUrl, schema: "bullmq" } };
  const ctx = createAppContext(config, { databaseUrl, secret, queue });
  setAppContext(ctx);
  // This process's queue connection sees the restarts too; ioredis/pg reconnect by themselves,
  // the errors meanwhile are expected (the scenario's figures say whether anything was lost).
  initPostQueue(ctx, { retryDelayMs: opts.retryDelayMs ?? 1_000 }).on("error", () => {});

  const email = `chaos-${randomBytes(4).toString("hex")}@example.test`;
  const user = await createUser(ctx.database.db, { email, password: "correct horse battery", role: "user" });
  const { token } = await createApiToken(ctx.database.db, email);
  const accounts: ChaosSetup["accounts"] = [];
  for (let i = 0; i < (opts.accounts ?? 4); i++) {
    const a = await pds.createAccount(`chaos${i}`);
    const { account } = await connectAccount(ctx, user.id, {
      platform: "bluesky",
      identifier: a.handle,
      appPassword: a.appPassword,
      service: opts.service ?? pds.url,
    });
    accounts.push({ id: account.id, did: a.did });
  }

  return {
    kind,
    ctx,
    databaseUrl,
    secret,
    prefix,
    redis,
    userId: user.id,
    token,
    accounts,
    workerEnv: (extra = {}) => ({
      DATABASE_URL: databaseUrl,
      POSTMORE_SECRET: secret,
      QUEUE_BACKEND: kind,
      QUEUE_PREFIX: prefix,
      RECONCILE_INTERVAL_SECONDS: String(CHAOS_RECONCILE_SECONDS),
      OUTBOUND_ALLOWLIST: LOOPBACK_ALLOWLIST,
      ...(redis ? { REDIS_HOST: "127.0.0.1", REDIS_PORT: String(redis.port) } : {}),
      ...extra,
    }),
    async close() {
      setAppContext(undefined);
      await getPostQueue(ctx).close().catch(() => {});
      await ctx.database.close().catch(() => {});
      await dropDatabase().catch(() => {});
      await redis?.close();
    },
  };
}

/** The posts of one run: texts `chaos <scenario> <backend> <stamp> #i`, one account each (round robin). */
export interface ChaosRun {
  scenario: string;
  kind: Backend;
  textPrefix: string;
  n: number;
  postIds: string[];
}

export interface Schedule {
  /** When the first post is due, from now. */
  startInMs: number;
  /** Due times spread evenly over this window (0 = all at once). */
  spreadMs: number;
}

/** A burst: due a few seconds from now (time to create them), spread at ~25 posts/s. */
export const burst = (n: number): Schedule => ({ startInMs: Math.max(4_000, n * 12), spreadMs: n * 40 });

export async function schedulePosts(s: ChaosSetup, scenario: string, n: number, schedule: Schedule): Promise<ChaosRun> {
  const textPrefix = `chaos ${scenario} ${s.kind} ${Date.now()} #`;
  const start = Date.now() + schedule.startInMs;
  const postIds: string[] = new Array<string>(n);
  let next = 0;
  const one = async () => {
    for (let i = next++; i < n; i = next++) {
      const scheduledAt = new Date(start + Math.floor((schedule.spreadMs * i) / Math.max(1, n))).toISOString();
      const account = s.accounts[i % s.accounts.length]!;
      postIds[i] = (await createPost(s.ctx, s.userId, { text: `${textPrefix}${i}`, accountIds: [account.id], scheduledAt })).id;
    }
  };
  await Promise.all(Array.from({ length: 6 }, one));
  return { scenario, kind: s.kind, textPrefix, n, postIds };
}

/** Published deliveries of the run per the database; -1 while the database does not answer. */
export async function publishedCount(s: ChaosSetup, run: ChaosRun): Promise<number> {
  try {
    const r = await s.ctx.database.db.execute(
      sql`SELECT count(*)::int AS n FROM deliveries d JOIN posts p ON p.id = d.post_id
          WHERE d.status = 'published' AND starts_with(p.text, ${run.textPrefix})`,
    );
    return (r.rows[0] as { n: number }).n;
  } catch {
    return -1;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function waitForPublished(s: ChaosSetup, run: ChaosRun, atLeast: number, timeoutMs: number): Promise<number> {
  return waitFor(`${atLeast} of ${run.n} published (${run.scenario} ${run.kind})`, async () => {
    const n = await publishedCount(s, run);
    return n >= atLeast ? n : undefined;
  }, timeoutMs, 100);
}

/** Waits for every post; false (instead of throwing) on timeout so the figures still print. */
export async function waitForAll(s: ChaosSetup, run: ChaosRun, timeoutMs: number): Promise<boolean> {
  return waitForPublished(s, run, run.n, timeoutMs).then(
    () => true,
    () => false,
  );
}

export async function stopWorker(w: WorkerProcess, graceMs = 30_000): Promise<number | null> {
  w.kill("SIGTERM");
  const timer = setTimeout(() => w.kill("SIGKILL"), graceMs);
  const code = await w.exited;
  clearTimeout(timer);
  return code;
}

/**
 * A worker child, like `npm run worker`, logging at info (so its "workers started" line shows)
 * unless `extra` says otherwise. `ready` resolves once it takes jobs: bursts are scheduled
 * after that, so lateness measures the queue, not tsx compiling the worker on a busy machine.
 */
export function startWorker(s: ChaosSetup, extra: Record<string, string> = {}): WorkerProcess & { ready: Promise<void> } {
  const w = startWorkerProcess(s.workerEnv({ LOG_LEVEL: "info", ...extra }));
  const started = () => w.output().includes('"msg":"workers started"');
  let gone = false;
  void w.exited.then(() => (gone = true));
  const ready = waitFor("a worker process to start", async () => started() || gone, 120_000, 100).then(() => {
    if (!started()) throw new Error(`the worker exited before it started:\n${w.output().slice(-2000)}`);
  });
  // Killed before it was up is a normal chaos event: nobody has to await this.
  ready.catch(() => {});
  return Object.assign(w, { ready });
}

export { startWorkerProcess, type WorkerProcess };
