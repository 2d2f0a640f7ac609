import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { newRecordKeys } from "@/app/lib/api/bluesky/tid";
import { createUser } from "@/app/lib/auth/users";
import { loadConfig, type QueueBackendKind } from "@/app/lib/config";
import { freshDatabase } from "./database";
import { createAppContext, setAppContext, type AppContext } from "@/app/lib/context";
import { deliveries, posts } from "@/app/lib/db/schema";
import type { QueueBackendSettings } from "@/app/lib/queues/backend";
import { addPostsToQueue, getPostQueue, initPostQueue } from "@/app/lib/queues/postQueue";
import { createPostWorker } from "@/app/lib/queues/worker";
import { startTestPostgres } from "@/test/helpers/embeddedPg";
import { createMemoryPlatform, insertMemoryAccount } from "@/test/helpers/memoryPlatform";
import { startTestRedis } from "@/test/helpers/redis";

/**
 * N deliveries through the whole pipeline (database rows, queue, worker, apiManager, the
 * in-process zero-latency platform) against N no-op BullMQ jobs, same backend, same
 * concurrency. Both runs are a burst: all N jobs are queued and due, then the worker starts
 * at T, so throughput = N / (last finish − T) and lateness = finish − T (how late the last
 * of a burst of posts all scheduled for the same minute would be).
 */

const CONCURRENCY = 5;
const INSERT_CHUNK = 500;

interface Run {
  jobsPerSecond: number;
  seconds: number;
  latenessMs: { p50: number; p99: number; max: number };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const summarise = (n: number, due: number, finishes: number[]): Run => {
  const lateness = finishes.map((f) => Math.round(f - due)).sort((a, b) => a - b);
  const seconds = (Math.max(...finishes) - due) / 1000;
  return {
    jobsPerSecond: Math.round(n / seconds),
    seconds: Number(seconds.toFixed(2)),
    latenessMs: { p50: pct(lateness, 50), p99: pct(lateness, 99), max: lateness[lateness.length - 1] ?? 0 },
  };
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function rawBullmq(ctx: AppContext, n: number): Promise<Run> {
  const name = `bench-raw-${randomBytes(3).toString("hex")}`;
  const queue = ctx.queues.createQueue<{ i: number }>(name);
  const finishes: number[] = [];
  const worker = ctx.queues.createWorker<{ i: number }>(name, async () => void finishes.push(Date.now()), { concurrency: CONCURRENCY, autorun: false });
  for (let i = 0; i < n; i += INSERT_CHUNK) {
    const chunk = Array.from({ length: Math.min(INSERT_CHUNK, n - i) }, (_, k) => ({
      name: "noop",
      data: { i: i + k },
      opts: { jobId: `raw-${i + k}`, removeOnComplete: { count: 1000 } },
    }));
    await queue.addBulk(chunk);
  }
  const start = Date.now();
  void worker.run();
  while (finishes.length < n) await sleep(50);
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return summarise(n, start, finishes);
}

async function pipeline(ctx: AppContext, n: number): Promise<Run> {
  const db = ctx.database.db;
  const user = await createUser(db, { email: `bench-${randomBytes(4).toString("hex")}@example.test`, password: "bench password 123", role: "user" });
  const account = await insertMemoryAccount(ctx, user.id);
  const worker = createPostWorker(ctx, { autorun: false });
  const due = new Date();
  for (let i = 0; i < n; i += INSERT_CHUNK) {
    const size = Math.min(INSERT_CHUNK, n - i);
    const inserted = await db.transaction(async (tx) => {
      const ps = await tx
        .insert(posts)
        .values(Array.from({ length: size }, (_, k) => ({ userId: user.id, text: `bench post ${i + k}`, content: {}, scheduledAt: due })))
        .returning({ id: posts.id });
      return tx
        .insert(deliveries)
        .values(ps.map((p) => ({ postId: p.id, accountId: account.id, rkey: newRecordKeys(1)[0]!, rkeys: newRecordKeys(1), recordCreatedAt: due, scheduledAt: due })))
        .returning({ id: deliveries.id });
    });
    await addPostsToQueue(inserted.map((d) => ({ deliveryId: d.id, scheduledAt: due })), ctx);
  }
  const start = Date.now();
  void worker.run();
  const done = async () =>
    Number(((await db.execute(sql`SELECT count(*)::int AS n FROM deliveries WHERE status = 'published'`)).rows[0] as { n: number }).n);
  while ((await done()) < n) await sleep(200);
  await worker.close();
  const rows = await db.execute(sql`SELECT extract(epoch FROM published_at) * 1000 AS t FROM deliveries WHERE status = 'published'`);
  return summarise(n, start, rows.rows.map((r) => Number((r as { t: string }).t)));
}

export async function runPostPipelineBench(args: Map<string, string>): Promise<void> {
  const n = Number(args.get("n") ?? 10_000);
  const backends = (args.get("backend")?.split(",") ?? ["redis", "postgres"]) as QueueBackendKind[];
  // The load average goes into the results: on a shared 2-core machine it moves the figures a lot.
  const loadBefore = os.loadavg()[0]!.toFixed(1);
  console.log(`post-pipeline: N=${n}, concurrency ${CONCURRENCY}, backends ${backends.join(", ")}, ${os.cpus().length} cores, load ${loadBefore}`);
  const postgres = await startTestPostgres();
  const redis = backends.includes("redis") ? await startTestRedis() : undefined;
  const unregister = createMemoryPlatform().register();
  const results: Record<string, unknown> = {};
  try {
    for (const kind of backends) {
      const databaseUrl = await freshDatabase(postgres);
      const queue: QueueBackendSettings =
        kind === "redis"
          ? { kind, redis: { host: "127.0.0.1", port: await redis!.getPort(), maxRetriesPerRequest: null }, prefix: `{bench${randomBytes(3).toString("hex")}}` }
          : { kind, postgres: { connectionString: databaseUrl, schema: "bullmq" } };
      const config = loadConfig({ NODE_ENV: "production", LOG_LEVEL: "warn", QUEUE_BACKEND: kind, POST_WORKER_CONCURRENCY: String(CONCURRENCY) });
      const ctx = createAppContext(config, { databaseUrl, secret: randomBytes(32).toString("hex"), queue });
      setAppContext(ctx);
      initPostQueue(ctx);
      const raw = await rawBullmq(ctx, n);
      console.log(`${kind} raw bullmq no-op: ${raw.jobsPerSecond} jobs/s (${raw.seconds} s), lateness p50 ${raw.latenessMs.p50} ms p99 ${raw.latenessMs.p99} ms`);
      const full = await pipeline(ctx, n);
      console.log(`${kind} full pipeline: ${full.jobsPerSecond} deliveries/s (${full.seconds} s), lateness p50 ${full.latenessMs.p50} ms p99 ${full.latenessMs.p99} ms`);
      const ratio = Number((full.jobsPerSecond / raw.jobsPerSecond).toFixed(3));
      console.log(`ratio ${kind} ${ratio}`);
      results[kind] = { raw, pipeline: full, ratio };
      await getPostQueue(ctx).close();
      await ctx.database.close();
      setAppContext(undefined);
    }
  } finally {
    unregister();
    await redis?.stop();
    await postgres.stop();
    fs.rmSync(postgres.dir, { recursive: true, force: true });
  }
  const out = path.join(import.meta.dirname, "results", `post-pipeline-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const notes = "embedded PostgreSQL with fsync=off (test settings); zero-latency in-process platform";
  fs.writeFileSync(out, JSON.stringify(
      { bench: "post-pipeline", n, concurrency: CONCURRENCY, cores: os.cpus().length, loadAverage: { before: loadBefore, after: os.loadavg()[0]!.toFixed(1) }, notes, results },
      null,
      2,
    ),);
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}
