import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import { newRecordKeys } from "@/app/lib/api/bluesky/tid";
import type { QueueBackendKind } from "@/app/lib/config";
import type { AppContext } from "@/app/lib/context";
import { deliveries, posts } from "@/app/lib/db/schema";
import { addPostsToQueue, getPostQueue, initPostQueue, REMOVE_COMPLETED_POST_JOBS } from "@/app/lib/queues/postQueue";
import { createPostWorker } from "@/app/lib/queues/worker";
import { createMemoryPlatform, insertMemoryAccount, type MemoryPlatform } from "@/test/helpers/memoryPlatform";
import type { CpuUse } from "./cpuMeter";
import {
  backendsArg,
  benchContext,
  benchCpuMeter,
  benchUser,
  figure,
  machine,
  percentiles,
  profilePhase,
  ratio,
  sizeArg,
  sleep,
  startBenchServices,
  topStatements,
  type Bench,
  type BenchServices,
  type Figure,
  type Percentiles,
  type PgProfile,
} from "./harness";

/**
 * N deliveries through the whole pipeline (database rows, queue, worker, apiManager, the
 * in-process zero-latency platform) against N no-op BullMQ jobs, same backend, same
 * concurrency. Both runs are a burst: all N jobs are queued and due, then the worker starts
 * at T, so throughput = N / (last finish − T) and lateness = finish − T (how late the last
 * of a burst of posts all scheduled for the same minute would be).
 */

const INSERT_CHUNK = 500;
const SETTINGS_N = 3_000;

export interface BurstRun {
  jobsPerSecond: number;
  seconds: number;
  latenessMs: Percentiles;
  /** CPU (this process + PostgreSQL + Redis) per job, µs: a cost that a loaded machine does not distort much. */
  cpuUsPerJob: number;
  cpu: CpuUse;
}

const summarise = (n: number, start: number, finishes: number[], cpu: CpuUse): BurstRun => {
  const seconds = (Math.max(...finishes) - start) / 1000;
  return {
    jobsPerSecond: Math.round(n / seconds),
    seconds: Number(seconds.toFixed(2)),
    latenessMs: percentiles(finishes.map((f) => f - start)),
    cpuUsPerJob: Math.round((cpu.totalMs * 1000) / n),
    cpu,
  };
};

/** N no-op jobs queued in bulk, then one worker at `concurrency` drains them. */
export async function rawBurst(ctx: AppContext, services: BenchServices, n: number, concurrency: number): Promise<BurstRun> {
  const name = `bench-raw-${randomBytes(3).toString("hex")}`;
  const queue = ctx.queues.createQueue<{ i: number }>(name);
  const finishes: number[] = [];
  const worker = ctx.queues.createWorker<{ i: number }>(name, async () => void finishes.push(Date.now()), { concurrency, autorun: false });
  for (let i = 0; i < n; i += INSERT_CHUNK) {
    const chunk = Array.from({ length: Math.min(INSERT_CHUNK, n - i) }, (_, k) => ({
      name: "noop",
      data: { i: i + k },
      // The same retention as PostMore's jobs: the comparison is about the work per job.
      opts: { jobId: `raw-${i + k}`, removeOnComplete: REMOVE_COMPLETED_POST_JOBS },
    }));
    await queue.addBulk(chunk);
  }
  const meter = await benchCpuMeter(services);
  const start = Date.now();
  void worker.run();
  while (finishes.length < n) await sleep(20);
  const cpu = meter();
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return summarise(n, start, finishes, cpu);
}

/**
 * N single-account posts, due now, queued while the worker is stopped. Returns `drain`, which
 * starts the worker and measures until the last delivery is published.
 */
export async function preparePipelineBurst(ctx: AppContext, services: BenchServices, platform: MemoryPlatform, n: number) {
  const db = ctx.database.db;
  const user = await benchUser(ctx);
  const account = await insertMemoryAccount(ctx, user.id);
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
        .values(ps.map((p) => {
          const rkeys = newRecordKeys(1);
          return { postId: p.id, accountId: account.id, rkey: rkeys[0]!, rkeys, recordCreatedAt: due, scheduledAt: due };
        }))
        .returning({ id: deliveries.id });
    });
    await addPostsToQueue(ctx, inserted.map((d) => ({ deliveryId: d.id, scheduledAt: due })));
  }
  return async function drain(): Promise<BurstRun> {
    const worker = createPostWorker(ctx, { autorun: false });
    let completed = 0;
    worker.on("completed", () => void completed++);
    const meter = await benchCpuMeter(services);
    const start = Date.now();
    void worker.run();
    while (completed < n) await sleep(20);
    const cpu = meter();
    await worker.close();
    const rows = await db.execute(sql`SELECT extract(epoch FROM published_at) * 1000 AS t FROM deliveries
      WHERE status = 'published' AND account_id = ${account.id}`);
    const onPlatform = platform.postsOf(account.remoteId).length;
    if (rows.rows.length !== n || onPlatform !== n) {
      throw new Error(`post-pipeline: ${rows.rows.length} deliveries published and ${onPlatform} records written, expected ${n} of each`);
    }
    return summarise(n, start, rows.rows.map((r) => Number((r as { t: string }).t)), cpu);
  };
}

interface Variant {
  backend: QueueBackendKind;
  concurrency: number;
  pg: PgProfile;
}

/**
 * Each backend at concurrency 5 and 50 on the test database settings (fsync off), then at
 * concurrency 5 on the embedded default's full durability and with synchronous_commit off.
 */
function variants(backends: QueueBackendKind[], smoke: boolean, only: { concurrency?: string; pg?: string }): Variant[] {
  const list: Variant[] = [];
  for (const backend of backends) for (const concurrency of [5, 50]) list.push({ backend, concurrency, pg: "fsync-off" });
  if (!smoke) for (const backend of backends) for (const pg of ["durable", "async-commit"] as const) list.push({ backend, concurrency: 5, pg });
  // --concurrency 5 / --pg durable pick some of them (for profiling one case).
  return list.filter((v) => (!only.concurrency || String(v.concurrency) === only.concurrency) && (!only.pg || v.pg === only.pg));
}

export const runPostPipelineBench: Bench = async (args) => {
  const n = sizeArg(args, "n", 10_000, 200);
  const list = variants(backendsArg(args), args.smoke, { concurrency: args.options.get("concurrency"), pg: args.options.get("pg") });
  const platform = createMemoryPlatform();
  const figures: Figure[] = [];
  const runs: unknown[] = [];
  for (const pg of [...new Set(list.map((v) => v.pg))]) {
    const pgStats = args.options.has("pg-stats");
    const services = await startBenchServices({ redis: list.some((v) => v.pg === pg && v.backend === "redis"), pg, pgStats });
    try {
      for (const v of list.filter((x) => x.pg === pg)) {
        const bench = await benchContext(services, v.backend, { POST_WORKER_CONCURRENCY: String(v.concurrency) });
        try {
          initPostQueue(bench.ctx);
          platform.register(bench.ctx);
          const label = `${v.backend}, concurrency ${v.concurrency}, PostgreSQL ${pg}`;
          // The settings comparison runs a smaller burst: it is about the ratio between settings, and
          // a durable BullMQ-on-PostgreSQL burst of 10,000 alone would take minutes.
          const size = pg === "fsync-off" ? n : Math.min(n, SETTINGS_N);
          const raw = await profilePhase(args, `raw ${label}`, () => rawBurst(bench.ctx, services, size, v.concurrency));
          const drain = await preparePipelineBurst(bench.ctx, services, platform, size);
          if (pgStats) await topStatements(bench.ctx, { reset: true });
          const full = await profilePhase(args, `pipeline ${label}`, drain);
          if (pgStats) console.log(`PostgreSQL's costliest statements while draining:\n  ${(await topStatements(bench.ctx)).join("\n  ")}`);
          const r = ratio(full.jobsPerSecond, raw.jobsPerSecond);
          console.log(
            `${label}: raw ${raw.jobsPerSecond} jobs/s (${raw.cpuUsPerJob} µs CPU/job), pipeline ${full.jobsPerSecond} deliveries/s ` +
              `(${full.cpuUsPerJob} µs CPU/delivery), ratio ${r} (load ${machine().loadAverage})`,
          );
          figures.push(figure(`raw BullMQ no-op, ${label}`, raw.jobsPerSecond, "jobs/s"));
          figures.push(figure(`pipeline, ${label}`, full.jobsPerSecond, "deliveries/s"));
          const target = v.concurrency === 5 && pg === "fsync-off" ? { text: "≥ 0.5", met: r >= 0.5 } : undefined;
          figures.push(figure(`ratio pipeline/raw, ${label}`, r, "", target));
          figures.push(figure(`CPU per job raw/pipeline, ${label}`, ratio(raw.cpuUsPerJob, full.cpuUsPerJob), ""));
          runs.push({ ...v, n: size, raw, pipeline: full, ratio: r, loadAverage: machine().loadAverage });
          // The two lines the post-queue issue asked for: concurrency 5 on PostgreSQL's default settings.
          if (v.concurrency === 5 && pg === "durable") console.log(`ratio ${v.backend} ${r}`);
          await getPostQueue(bench.ctx).close();
        } finally {
          await bench.close();
        }
      }
    } finally {
      await services.close();
    }
  }
  return { figures, details: { n, runs, platform: "zero-latency in-process memory platform" } };
};
