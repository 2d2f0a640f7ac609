import { Redis } from "ioredis";
import { sql } from "drizzle-orm";
import { newRecordKeys } from "@/app/lib/api/bluesky/tid";
import type { QueueBackendKind } from "@/app/lib/config";
import { addPostsToQueue, getPostQueue, initPostQueue, postJobId } from "@/app/lib/queues/postQueue";
import { deliveriesNeedingJobs } from "@/app/lib/db/queries/deliveries";
import { listPosts } from "@/app/lib/posts/listPosts";
import { listPostsQuery } from "@/app/lib/posts/schemas";
import { reconcileOnce } from "@/app/lib/queues/reconciler";
import { insertMemoryAccount } from "@/test/helpers/memoryPlatform";
import {
  backendsArg, benchContext, benchUser, figure, machine, sizeArg, startBenchServices,
  type Bench, type BenchContext, type BenchResult, type Figure,
} from "./harness";
import { cursorAfter, explainCalls, timeListPosts, timeSelectOne } from "./scaleList";
import { measureWorker } from "./scaleWorker";

/**
 * Benchmark 5, scale and memory: N scheduled posts (one delivery each) pending over the next
 * week, then (1) queue memory per pending post (Redis `used_memory`; PostgreSQL's bullmq
 * table sizes), (2) a reconciler pass with nothing to do and one after the queue lost
 * everything (exactly N jobs afterwards), (3) a real worker process's RSS after its start-up
 * pass, (4) GET /api/posts's first page (the listPosts service) with N rows, and its plan.
 */

const CHUNK = 1000;
const SPREAD_MS = 7 * 24 * 3600_000;
const MINUTE = 60_000;
const TARGET = { bytesPerPost: 1536, workerRssMb: 200, reconcileSeconds: 5, listMs: 50 };

/** N posts with one pending delivery each, written by two set-based statements, then enqueued in chunks. */
export async function insertPending(bc: BenchContext, n: number) {
  const { ctx } = bc;
  const db = ctx.database.db;
  const user = await benchUser(ctx);
  const account = await insertMemoryAccount(ctx, user.id);
  // From half an hour ahead (nothing falls due while the bench runs) over the next week, on
  // whole minutes (as people pick times).
  const first = Math.ceil((Date.now() + 30 * MINUTE) / MINUTE) * MINUTE;
  await db.execute(sql`INSERT INTO posts (user_id, text, content, scheduled_at)
    SELECT ${user.id}, 'scale post ' || i, '{}'::jsonb,
           to_timestamp((${first}::bigint + floor(i::float8 * ${SPREAD_MS} / ${n} / ${MINUTE}) * ${MINUTE}) / 1000.0)
    FROM generate_series(0, ${n - 1}) AS i`);
  const keys = newRecordKeys(n);
  await db.execute(sql`INSERT INTO deliveries (post_id, account_id, rkey, rkeys, record_created_at, scheduled_at)
    SELECT p.id, ${account.id}, k.rkey, ARRAY[k.rkey], p.scheduled_at, p.scheduled_at
    FROM (SELECT id, scheduled_at, row_number() OVER (ORDER BY id) AS rn FROM posts WHERE user_id = ${user.id}) p
    JOIN unnest(${`{${keys.join(",")}}`}::text[]) WITH ORDINALITY AS k(rkey, rn) ON k.rn = p.rn`);
  await db.execute(sql`ANALYZE`);
  const rows = (await db.execute(sql`SELECT id, scheduled_at FROM deliveries WHERE account_id = ${account.id} ORDER BY id`)).rows as Array<{
    id: string;
    scheduled_at: string | Date;
  }>;
  if (rows.length !== n) throw new Error(`seeded ${rows.length} deliveries, wanted ${n}`);
  const t0 = performance.now();
  for (let i = 0; i < n; i += CHUNK) {
    await addPostsToQueue(ctx, rows.slice(i, i + CHUNK).map((r) => ({ deliveryId: r.id, scheduledAt: new Date(r.scheduled_at) })));
  }
  const enqueueSeconds = Number(((performance.now() - t0) / 1000).toFixed(2));
  return { userId: user.id, accountId: account.id, deliveryIds: rows.map((r) => r.id), enqueueSeconds };
}

async function redisUsedMemory(redis: Redis): Promise<number> {
  const info = await redis.info("memory");
  return Number(info.match(/^used_memory:(\d+)/m)?.[1]);
}

async function bullmqTablesBytes(bc: BenchContext): Promise<number> {
  const { rows } = await bc.ctx.database.pool.query<{ bytes: string }>(
    "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'bullmq' AND c.relkind = 'r'",
  );
  return Number(rows[0]?.bytes ?? 0);
}

/** Every delivery has exactly one live job, and the queue holds nothing else. */
async function assertOneJobEach(bc: BenchContext, deliveryIds: string[], when: string) {
  const queue = getPostQueue(bc.ctx);
  const counts = await queue.getJobCounts("delayed", "waiting", "active", "prioritized", "completed", "failed");
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const ids = new Set(await queue.getRanges(["delayed", "waiting", "active", "prioritized"], 0, -1));
  const missing = deliveryIds.filter((id) => !ids.has(postJobId(id))).length;
  if (total !== deliveryIds.length || missing > 0 || ids.size !== deliveryIds.length) {
    throw new Error(`${when}: ${deliveryIds.length} deliveries but ${total} jobs (${JSON.stringify(counts)}), ${missing} missing`);
  }
}

async function timedReconcile(bc: BenchContext) {
  const t0 = performance.now();
  const report = await reconcileOnce(bc.ctx);
  return { seconds: Number(((performance.now() - t0) / 1000).toFixed(2)), report };
}

interface BackendRun {
  kind: QueueBackendKind;
  n: number;
  bc: BenchContext;
  redis?: Redis;
  redisPort?: number;
  /** Start a worker process (smoke runs do it on the first backend only: it takes ~10 s). */
  withWorker: boolean;
}

async function runBackend({ kind, n, bc, redis, redisPort, withWorker }: BackendRun) {
  const figures: Figure[] = [];
  const details: Record<string, unknown> = {};
  const queue = initPostQueue(bc.ctx);
  await queue.waitUntilReady();
  const memBefore = redis ? await redisUsedMemory(redis) : await bullmqTablesBytes(bc);
  const t0 = performance.now();
  const seeded = await insertPending(bc, n);
  details.seedSeconds = Number(((performance.now() - t0) / 1000).toFixed(1));
  details.enqueueSeconds = seeded.enqueueSeconds;
  await assertOneJobEach(bc, seeded.deliveryIds, "after enqueue");
  if (redis) {
    const perPost = Math.round(((await redisUsedMemory(redis)) - memBefore) / n);
    figures.push(figure(`${kind}: Redis memory per pending post`, perPost, "bytes", { text: "≤ 1536", met: perPost <= TARGET.bytesPerPost }));
    const key = `${bc.queue.prefix}:posts:${postJobId(seeded.deliveryIds[0]!)}`;
    details.oneJob = { key, memoryUsageBytes: await redis.call("MEMORY", "USAGE", key), fields: await redis.hgetall(key) };
  } else {
    const perJob = Math.round(((await bullmqTablesBytes(bc)) - memBefore) / n);
    figures.push(figure(`${kind}: bullmq tables per pending job (context)`, perJob, "bytes"));
  }

  // The normal case, three times (the median is the figure: a shared machine's load swings).
  const idleRuns = [await timedReconcile(bc), await timedReconcile(bc), await timedReconcile(bc)];
  for (const run of idleRuns) {
    if (!run.report.ran || run.report.enqueued + run.report.rerun + run.report.missed !== 0) {
      throw new Error(`nothing-to-do pass did something: ${JSON.stringify(run.report)}`);
    }
  }
  const idle = [...idleRuns].sort((a, b) => a.seconds - b.seconds)[1]!;
  figures.push(figure(`${kind}: reconciler pass, ${n} pending with jobs (median of 3)`, idle.seconds, "s", { text: "≤ 5", met: idle.seconds <= TARGET.reconcileSeconds }));
  figures.push(figure(`${kind}: raw enqueue of the same ${n} jobs (addBulk, context)`, seeded.enqueueSeconds, "s"));
  await queue.obliterate({ force: true });
  const lost = await timedReconcile(bc);
  if (lost.report.enqueued !== n) throw new Error(`after the queue was wiped the pass enqueued ${lost.report.enqueued} of ${n}`);
  await assertOneJobEach(bc, seeded.deliveryIds, "after the rebuild");
  figures.push(figure(`${kind}: reconciler pass, queue wiped (re-adds ${n})`, lost.seconds, "s", { text: "≤ 5", met: lost.seconds <= TARGET.reconcileSeconds }));

  if (withWorker) {
    const worker = await measureWorker(bc, redisPort, seeded.deliveryIds[0]!);
    details.worker = worker;
    figures.push(figure(`${kind}: worker RSS after start-up pass over ${n}`, worker.rssMb, "MB", { text: "≤ 200", met: worker.rssMb <= TARGET.workerRssMb }));
    figures.push(figure(`${kind}: worker peak RSS (VmHWM)`, worker.peakRssMb, "MB", { text: "≤ 200", met: worker.peakRssMb <= TARGET.workerRssMb }));
    await assertOneJobEach(bc, seeded.deliveryIds, "after the worker's pass");
  }

  const calls = 50;
  const firstPage = await timeListPosts(bc.ctx, seeded.userId, {}, calls);
  if (firstPage.rows !== Math.min(20, n)) throw new Error(`first page had ${firstPage.rows} posts`);
  figures.push(figure(`${kind}: GET /api/posts first page (listPosts) p50, ${n} rows`, firstPage.p50, "ms", { text: "≤ 50", met: firstPage.p50 <= TARGET.listMs }));
  figures.push(figure(`${kind}: GET /api/posts first page (listPosts) p99`, firstPage.p99, "ms", { text: "≤ 50", met: firstPage.p99 <= TARGET.listMs }));
  const selectOne = await timeSelectOne(bc.ctx, calls);
  figures.push(figure(`${kind}: SELECT 1 round trip p50 / p99 (same load, context)`, selectOne.p50, `ms / ${selectOne.p99} ms`));
  details.listPosts = {
    firstPage,
    selectOne,
    page50: await timeListPosts(bc.ctx, seeded.userId, { cursor: await cursorAfter(bc.ctx, seeded.userId, 50) }, 20),
    byStatus: await timeListPosts(bc.ctx, seeded.userId, { status: "scheduled" }, 20),
    byAccount: await timeListPosts(bc.ctx, seeded.userId, { accountId: seeded.accountId }, 20),
    explain: await explainCalls(bc.ctx, () => listPosts(bc.ctx, seeded.userId, listPostsQuery.parse({}))),
  };
  details.reconcile = {
    idle: idleRuns,
    lost,
    explainPage: await explainCalls(bc.ctx, () => deliveriesNeedingJobs(bc.ctx.database.db, { stuckAfterSeconds: 60, limit: 1000 })),
  };
  return { figures, details };
}

export const runScaleBench: Bench = async (args): Promise<BenchResult> => {
  const n = sizeArg(args, "n", 100_000, 500);
  const backends = backendsArg(args);
  const loadBefore = machine().loadAverage;
  console.log(`scale: N=${n} pending posts, backends ${backends.join(", ")}, load ${loadBefore}`);
  const services = await startBenchServices({ redis: backends.includes("redis") });
  const figures: Figure[] = [];
  const details: Record<string, unknown> = { n, loadBefore };
  try {
    for (const kind of backends) {
      const bc = await benchContext(services, kind);
      const redisPort = services.redis ? await services.redis.getPort() : undefined;
      const redis = kind === "redis" ? new Redis({ host: "127.0.0.1", port: redisPort }) : undefined;
      try {
        const r = await runBackend({ kind, n, bc, redis, redisPort, withWorker: !args.smoke || kind === backends[0] });
        for (const f of r.figures) console.log(`  ${f.metric}: ${f.value} ${f.unit}${f.target ? ` (target ${f.target}: ${f.met ? "met" : "MISSED"})` : ""}`);
        figures.push(...r.figures);
        details[kind] = r.details;
      } finally {
        await getPostQueue(bc.ctx).close();
        redis?.disconnect();
        await bc.close();
      }
    }
  } finally {
    await services.close();
  }
  details.loadAfter = machine().loadAverage;
  return { figures, details };
};
