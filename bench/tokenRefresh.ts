import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { sealCredentials } from "@/app/lib/accounts/publicAccount";
import { createUser } from "@/app/lib/auth/users";
import { loadConfig, type QueueBackendKind } from "@/app/lib/config";
import { freshDatabase } from "./database";
import { createAppContext, setAppContext, type AppContext } from "@/app/lib/context";
import { socialAccounts } from "@/app/lib/db/schema";
import type { QueueBackendSettings } from "@/app/lib/queues/backend";
import { getTokenRefreshQueue, initTokenRefreshQueue, refreshAllBlueskyTokens } from "@/app/lib/queues/tokenRefreshQueue";
import { createTokenRefreshWorker } from "@/app/lib/queues/worker";
import { meterRefreshes } from "@/test/helpers/countingPlatform";
import { startTestPostgres } from "@/test/helpers/embeddedPg";
import { createMemoryPlatform } from "@/test/helpers/memoryPlatform";
import { startTestRedis } from "@/test/helpers/redis";

/**
 * N accounts refreshed through the whole token-refresh pipeline (admin trigger → refresh-all
 * fan-out → one de-duplicated job per account → account lock → zero-latency in-process
 * platform → tokens sealed and saved) against N no-op BullMQ jobs added in bulk, same
 * backend, same worker concurrency. Both clocks start before the first job is added.
 * The trigger is fired three times at once, as a storm of admin clicks would.
 */

const INSERT_CHUNK = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Run {
  jobsPerSecond: number;
  seconds: number;
}
const run = (n: number, start: number, end: number): Run => {
  const seconds = (end - start) / 1000;
  return { jobsPerSecond: Math.round(n / seconds), seconds: Number(seconds.toFixed(2)) };
};

async function rawBullmq(ctx: AppContext, n: number, concurrency: number): Promise<Run> {
  const name = `bench-raw-${randomBytes(3).toString("hex")}`;
  const queue = ctx.queues.createQueue<{ accountId: string }>(name);
  let done = 0;
  let last = 0;
  const worker = ctx.queues.createWorker<{ accountId: string }>(
    name,
    async () => {
      done += 1;
      last = Date.now();
    },
    { concurrency },
  );
  await worker.waitUntilReady();
  const start = Date.now();
  for (let i = 0; i < n; i += INSERT_CHUNK) {
    const size = Math.min(INSERT_CHUNK, n - i);
    await queue.addBulk(
      Array.from({ length: size }, (_, k) => ({
        name: "noop",
        data: { accountId: `a${i + k}` },
        opts: { removeOnComplete: { count: 1000 } },
      })),
    );
  }
  while (done < n) await sleep(50);
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return run(n, start, last);
}

async function insertAccounts(ctx: AppContext, n: number): Promise<void> {
  const user = await createUser(ctx.database.db, {
    email: `bench-${randomBytes(4).toString("hex")}@example.test`,
    password: "bench password 123",
    role: "user",
  });
  const issued = new Date(Date.now() - 3600_000);
  for (let i = 0; i < n; i += INSERT_CHUNK) {
    const size = Math.min(INSERT_CHUNK, n - i);
    await ctx.database.db.insert(socialAccounts).values(
      Array.from({ length: size }, (_, k) => ({
        userId: user.id,
        platform: "bluesky" as const,
        did: `did:plc:bench${i + k}`,
        handle: `bench${i + k}.test`,
        service: "memory://",
        credentials: sealCredentials(ctx.box, { appPassword: "app-pass", accessJwt: "a-jwt", refreshJwt: "r-jwt" }),
        accessExpiresAt: new Date(issued.getTime() + 2 * 3600_000),
        lastRefreshedAt: issued,
      })),
    );
  }
}

async function pipeline(ctx: AppContext, n: number): Promise<Run & { platformCalls: number; peakPerAccount: number }> {
  await insertAccounts(ctx, n);
  const meter = meterRefreshes(createMemoryPlatform());
  const worker = createTokenRefreshWorker(ctx);
  await worker.waitUntilReady();
  const start = Date.now();
  try {
    const triggers = await Promise.all([refreshAllBlueskyTokens(ctx), refreshAllBlueskyTokens(ctx), refreshAllBlueskyTokens(ctx)]);
    if (new Set(triggers.map((t) => t.jobId)).size !== 1) console.warn("the trigger storm queued more than one refresh-all job");
    const since = new Date(start);
    const refreshed = async () =>
      Number(
        (
          (await ctx.database.db.execute(sql`SELECT count(*)::int AS n FROM social_accounts WHERE last_refreshed_at >= ${since}`))
            .rows[0] as { n: number }
        ).n,
      );
    while ((await refreshed()) < n) await sleep(200);
    const lastRow = await ctx.database.db.execute(sql`SELECT extract(epoch FROM max(last_refreshed_at)) * 1000 AS t FROM social_accounts`);
    const end = Number((lastRow.rows[0] as { t: string }).t);
    // Let any stragglers (duplicates that should not exist) show up in the counters.
    await sleep(500);
    return { ...run(n, start, end), platformCalls: meter.calls, peakPerAccount: meter.peakPerAccount };
  } finally {
    await worker.close();
    meter.restore();
  }
}

export async function runTokenRefreshBench(args: Map<string, string>): Promise<void> {
  const n = Number(args.get("n") ?? 10_000);
  const concurrency = Number(args.get("concurrency") ?? 2);
  const backends = (args.get("backend")?.split(",") ?? ["redis", "postgres"]) as QueueBackendKind[];
  console.log(`token-refresh: N=${n} accounts, concurrency ${concurrency}, backends ${backends.join(", ")}, ${os.cpus().length} cores`);
  const postgres = await startTestPostgres();
  const redis = backends.includes("redis") ? await startTestRedis() : undefined;
  const results: Record<string, unknown> = {};
  try {
    for (const kind of backends) {
      const databaseUrl = await freshDatabase(postgres);
      const queue: QueueBackendSettings =
        kind === "redis"
          ? { kind, redis: { host: "127.0.0.1", port: await redis!.getPort(), maxRetriesPerRequest: null }, prefix: `{bench${randomBytes(3).toString("hex")}}` }
          : { kind, postgres: { connectionString: databaseUrl, schema: "bullmq" } };
      const config = loadConfig({ NODE_ENV: "production", LOG_LEVEL: "warn", QUEUE_BACKEND: kind, TOKEN_REFRESH_WORKER_CONCURRENCY: String(concurrency) });
      const ctx = createAppContext(config, { databaseUrl, secret: randomBytes(32).toString("hex"), queue });
      setAppContext(ctx);
      initTokenRefreshQueue(ctx);
      const raw = await rawBullmq(ctx, n, concurrency);
      console.log(`${kind} raw bullmq no-op: ${raw.jobsPerSecond} jobs/s (${raw.seconds} s)`);
      const full = await pipeline(ctx, n);
      console.log(`${kind} full refresh pipeline: ${full.jobsPerSecond} accounts/s (${full.seconds} s), platform calls ${full.platformCalls}`);
      const ratio = Number((full.jobsPerSecond / raw.jobsPerSecond).toFixed(3));
      console.log(`ratio ${kind} ${ratio}`);
      console.log(`peak concurrent refreshes per account ${kind}: ${full.peakPerAccount}`);
      if (full.peakPerAccount !== 1) console.error(`FAIL: ${full.peakPerAccount} refreshes of one account overlapped`);
      results[kind] = { raw, pipeline: full, ratio };
      await getTokenRefreshQueue(ctx).close();
      await ctx.database.close();
      setAppContext(undefined);
    }
  } finally {
    await redis?.stop();
    await postgres.stop();
    fs.rmSync(postgres.dir, { recursive: true, force: true });
  }
  const out = path.join(import.meta.dirname, "results", `token-refresh-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const notes = "embedded PostgreSQL with fsync=off (test settings); zero-latency in-process platform; trigger fired 3x at once";
  fs.writeFileSync(out, JSON.stringify({ bench: "token-refresh", n, concurrency, cores: os.cpus().length, notes, results }, null, 2));
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}
