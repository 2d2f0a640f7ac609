import { sql } from "drizzle-orm";
import { newRecordKeys } from "@/app/lib/api/bluesky/tid";
import type { QueueBackendKind } from "@/app/lib/config";
import type { AppContext } from "@/app/lib/context";
import { deliveries, posts } from "@/app/lib/db/schema";
import { createPost } from "@/app/lib/posts/createPost";
import { addPostsToQueue, getPostQueue, initPostQueue } from "@/app/lib/queues/postQueue";
import { createPostWorker } from "@/app/lib/queues/worker";
import { cpuMeter, type CpuUse } from "./cpuMeter";
import { createMemoryPlatform, insertMemoryAccount, type MemoryPlatform } from "@/test/helpers/memoryPlatform";
import { backendsArg, benchContext, benchUser, figure, machine, percentiles, ratio, settlePostgres, sizeArg, sleep, startBenchServices } from "./harness";
import type { Bench, BenchServices, Figure, Percentiles } from "./harness";

/**
 * Publish lateness = deliveries.published_at − deliveries.scheduled_at (the due time), both
 * read back from PostgreSQL. scheduled_at is written from Node's clock (the service's due
 * time), published_at by PostgreSQL's now() in the statement that marks it published; both
 * run on this machine's one system clock, and the skew between them is measured and reported.
 *
 * On each backend, with the zero-latency memory platform and the default post worker
 * (concurrency 5):
 * - pipeline: the reference throughput, measured here the way bench/postPipeline.ts does it
 *   (its functions are not exported): `--ref-n` deliveries (default N, so both sides grow the
 *   same tables by the same amount) queued and due while the worker is stopped, then the
 *   worker starts at T; throughput = n / (last published − T). After an untimed warm-up, it
 *   runs before the first burst and after each one; each burst is compared with the mean of the
 *   two around it, and the median of the rounds (`--rounds`, default 3) is reported.
 * - burst: the worker is already running; N deliveries are queued ahead of time, all due at
 *   the same whole second, so the delayed → waiting promotion is part of what is measured.
 *   Drain rate = N / (last published − due).
 * - steady: 50 posts/s through createPost (the API's service), each due 1–2 s after its
 *   creation so it goes through the delayed set.
 * Each phase also reports the CPU it cost per post (this process, PostgreSQL and Redis): on a
 * shared machine that figure drifts far less than the latencies. PostgreSQL is vacuumed and
 * checkpointed between phases (settlePostgres).
 */

const INSERT_CHUNK = 500;
const STEADY_RATE = 50;
const STEADY_P99_TARGET_MS = 250;

interface Phase {
  n: number;
  lateness: Percentiles;
  /** Due → the worker's first attempt started. */
  pickedUp: Percentiles;
  /** Deliveries per second from the start (worker start or due time) to the last publish. */
  perSecond: number;
  seconds: number;
}

/** Node clock − PostgreSQL clock, in ms (midpoint of the round trip; positive = Node ahead). */
async function clockSkewMs(ctx: AppContext): Promise<number> {
  let best = { rtt: Infinity, skew: 0 };
  for (let i = 0; i < 20; i++) {
    const before = Date.now();
    const res = await ctx.database.db.execute(sql`SELECT extract(epoch FROM clock_timestamp()) * 1000 AS t`);
    const after = Date.now();
    const pgMs = Number((res.rows[0] as { t: string }).t);
    if (after - before < best.rtt) best = { rtt: after - before, skew: (before + after) / 2 - pgMs };
  }
  return Number(best.skew.toFixed(1));
}

/** Posts + deliveries for one account, all due at `due`, inserted and queued in chunks. */
async function insertDue(ctx: AppContext, userId: string, accountId: string, n: number, due: Date): Promise<void> {
  const db = ctx.database.db;
  for (let i = 0; i < n; i += INSERT_CHUNK) {
    const size = Math.min(INSERT_CHUNK, n - i);
    const inserted = await db.transaction(async (tx) => {
      const ps = await tx
        .insert(posts)
        .values(Array.from({ length: size }, (_, k) => ({ userId, text: `lateness post ${i + k}`, content: {}, scheduledAt: due })))
        .returning({ id: posts.id });
      return tx
        .insert(deliveries)
        .values(ps.map((p) => ({ postId: p.id, accountId, rkey: newRecordKeys(1)[0]!, rkeys: newRecordKeys(1), recordCreatedAt: due, scheduledAt: due })))
        .returning({ id: deliveries.id });
    });
    await addPostsToQueue(ctx, inserted.map((d) => ({ deliveryId: d.id, scheduledAt: due })));
  }
}

const publishedCount = async (ctx: AppContext, accountId: string) =>
  Number(
    ((await ctx.database.db.execute(sql`SELECT count(*)::int AS n FROM deliveries WHERE account_id = ${accountId} AND status = 'published'`)).rows[0] as { n: number }).n,
  );

async function waitPublished(ctx: AppContext, accountId: string, n: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const done = await publishedCount(ctx, accountId);
    if (done >= n) return;
    if (Date.now() > deadline) throw new Error(`only ${done} of ${n} deliveries published within ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}

/**
 * Lateness of every delivery of the account (computed in PostgreSQL, microsecond timestamps)
 * and the last publish time; throws unless each was published exactly once.
 */
async function measure(ctx: AppContext, platform: MemoryPlatform, did: string, accountId: string, n: number, startMs: number): Promise<Phase> {
  // `started` (the worker's first attempt began, Node's clock) splits the lateness into the
  // queue's part (due → picked up) and the publish itself.
  const res = await ctx.database.db.execute(sql`
    SELECT extract(epoch FROM d.published_at - d.scheduled_at) * 1000 AS late, extract(epoch FROM d.published_at) * 1000 AS at,
           extract(epoch FROM (SELECT min(a.started_at) FROM delivery_attempts a WHERE a.delivery_id = d.id) - d.scheduled_at) * 1000 AS started
    FROM deliveries d WHERE d.account_id = ${accountId} AND d.status = 'published'`);
  const rows = res.rows as Array<{ late: string; at: string; started: string | null }>;
  const records = platform.postsOf(did).length;
  if (rows.length !== n || records !== n) throw new Error(`expected ${n} published once, found ${rows.length} published rows and ${records} platform records`);
  const last = Math.max(...rows.map((r) => Number(r.at)));
  const seconds = (last - startMs) / 1000;
  const pickedUp = percentiles(rows.filter((r) => r.started !== null).map((r) => Number(r.started)));
  return { n, lateness: percentiles(rows.map((r) => Number(r.late))), pickedUp, perSecond: Math.round(n / seconds), seconds: Number(seconds.toFixed(2)) };
}

const sessions = async (ctx: AppContext) =>
  Number(((await ctx.database.db.execute(sql`SELECT sum(sessions)::int AS n FROM pg_stat_database`)).rows[0] as { n: number }).n);

async function newAccount(ctx: AppContext) {
  const user = await benchUser(ctx);
  const account = await insertMemoryAccount(ctx, user.id);
  return { userId: user.id, accountId: account.id, did: account.remoteId };
}

/** The reference: a due burst queued while the worker is stopped, then the worker starts. */
async function pipeline(ctx: AppContext, platform: MemoryPlatform, n: number, cpuOn: CpuOn): Promise<Phase & { enqueueSeconds: number; cpu: CpuUse }> {
  const a = await newAccount(ctx);
  const worker = createPostWorker(ctx, { autorun: false });
  const t0 = Date.now();
  await insertDue(ctx, a.userId, a.accountId, n, new Date());
  const enqueueSeconds = (Date.now() - t0) / 1000;
  const start = Date.now();
  const cpu = cpuMeter(cpuOn);
  void worker.run();
  await waitPublished(ctx, a.accountId, n, 600_000);
  const used = cpu();
  await worker.close();
  return { ...(await measure(ctx, platform, a.did, a.accountId, n, start)), enqueueSeconds, cpu: used };
}

/** Runs `fn` while a post worker (as `npm run worker` starts it) is up and idle-ready. */
async function withRunningWorker<T>(ctx: AppContext, fn: () => Promise<T>): Promise<T> {
  const worker = createPostWorker(ctx);
  await worker.waitUntilReady();
  try {
    return await fn();
  } finally {
    await worker.close();
  }
}

/** The running worker; N deliveries all due at one whole second `leadMs` or more from now. */
/** Where the CPU meters look: PostgreSQL's data dir and, on the Redis backend, Redis's port. */
type CpuOn = { postgresDir: string; redisPort?: number };

async function burst(ctx: AppContext, platform: MemoryPlatform, n: number, leadMs: number, cpuOn: CpuOn): Promise<Phase & { marginMs: number; cpu: CpuUse }> {
  const a = await newAccount(ctx);
  const due = Math.ceil((Date.now() + leadMs) / 1000) * 1000;
  await insertDue(ctx, a.userId, a.accountId, n, new Date(due));
  const marginMs = due - Date.now();
  if (marginMs < 0) throw new Error(`the burst was not queued before it fell due (${-marginMs} ms late): raise the lead time`);
  // CPU from the moment the burst is queued: the drain alone (plus the idle wait before it).
  const cpu = cpuMeter(cpuOn);
  await waitPublished(ctx, a.accountId, n, 600_000 + leadMs);
  return { ...(await measure(ctx, platform, a.did, a.accountId, n, due)), marginMs, cpu: cpu() };
}

/** STEADY_RATE posts/s for `seconds` through createPost, each due 1–2 s after it is created. */
async function steady(ctx: AppContext, platform: MemoryPlatform, seconds: number, pgDir: string): Promise<Phase & { createMs: Percentiles; cpu: CpuUse; newConnections: number }> {
  const a = await newAccount(ctx);
  const cpu = cpuMeter({ postgresDir: pgDir });
  const sessions0 = await sessions(ctx);
  const n = STEADY_RATE * seconds;
  const t0 = Date.now() + 100;
  const creations: Array<Promise<number>> = [];
  for (let i = 0; i < n; i++) {
    const at = t0 + (i * 1000) / STEADY_RATE;
    if (at > Date.now()) await sleep(at - Date.now());
    const started = Date.now();
    // Spread over 1–2 s ahead so due times do not line up with creation times.
    const scheduledAt = new Date(started + 1000 + ((i * 37) % 1000)).toISOString();
    creations.push(createPost(ctx, a.userId, { text: `steady post ${i}`, accountIds: [a.accountId], scheduledAt }).then(() => Date.now() - started));
  }
  const createMs = percentiles(await Promise.all(creations));
  await waitPublished(ctx, a.accountId, n, 120_000);
  // Connections opened meanwhile: a pool that lets idle connections go pays a backend start each.
  const newConnections = (await sessions(ctx)) - sessions0;
  return { ...(await measure(ctx, platform, a.did, a.accountId, n, t0)), createMs, cpu: cpu(), newConnections };
}

const cpuPerPost = (cpu: CpuUse, n: number) => Number(((cpu.nodeMs + cpu.postgresMs) / n).toFixed(2));
const perPost = (cpu: CpuUse, n: number) =>
  `CPU per post: node ${(cpu.nodeMs / n).toFixed(2)} ms, postgres ${(cpu.postgresMs / n).toFixed(2)} ms` +
  (cpu.redisMs > 0 ? `, redis ${(cpu.redisMs / n).toFixed(2)} ms` : "");

interface Sizes {
  n: number;
  /** Size of the reference burst (worker stopped, then started). */
  refN: number;
  /** How many bursts (each between two references); the figures are the median round's. */
  rounds: number;
  steadySeconds: number;
  /** Which of "burst" and "steady" to run (`--phases steady` to look at one alone). */
  phases: string[];
}

const describePipeline = (kind: QueueBackendKind, r: Awaited<ReturnType<typeof pipeline>>) =>
  `${kind} pipeline (worker started on a queued burst): ${r.perSecond} deliveries/s over ${r.seconds} s (enqueue took ${r.enqueueSeconds.toFixed(1)} s); ${perPost(r.cpu, r.n)}`;

/**
 * Reference, burst, reference, burst, … (`--rounds` bursts, default 3): each burst is compared
 * with the mean of the two references around it, so drift in the machine hits both sides alike
 * (on this shared 2-core VM whole phases run ~15 % faster or slower than the one before, in
 * either order), and the figures are those of the median round (one round moved ±0.1 from the
 * next).
 */
async function burstFigures(kind: QueueBackendKind, ctx: AppContext, platform: MemoryPlatform, sizes: Sizes, cpuOn: CpuOn) {
  const n = sizes.n;
  // Warm the code (JIT, pools, Redis scripts) untimed first: otherwise the reference runs on a
  // colder process than the burst after it, and the ratio says more about warm-up than queues.
  await pipeline(ctx, platform, Math.max(100, Math.round(sizes.refN / 3)), cpuOn);
  await settlePostgres(ctx);
  const refs = [await pipeline(ctx, platform, sizes.refN, cpuOn)];
  console.log(describePipeline(kind, refs[0]!));
  // Enough lead for the whole burst to be queued before it falls due: twice the rate above
  // (queueing is slower with a running worker on the same store).
  const leadMs = Math.max(2_000, Math.ceil(((refs[0]!.enqueueSeconds * n) / sizes.refN) * 2_000));
  const rounds = [];
  for (let i = 0; i < sizes.rounds; i++) {
    await settlePostgres(ctx);
    const b = await withRunningWorker(ctx, () => burst(ctx, platform, n, leadMs, cpuOn));
    console.log(`${kind} burst of ${b.n} due at once: drains at ${b.perSecond}/s over ${b.seconds} s; lateness p50 ${b.lateness.p50} p99 ${b.lateness.p99} max ${b.lateness.max} ms (picked up p50 ${b.pickedUp.p50}; queued ${b.marginMs} ms before due); ${perPost(b.cpu, b.n)}`);
    await settlePostgres(ctx);
    const after = await pipeline(ctx, platform, sizes.refN, cpuOn);
    console.log(describePipeline(kind, after));
    const before = refs[refs.length - 1]!;
    refs.push(after);
    const refRate = Math.round((before.perSecond + after.perSecond) / 2);
    const refCpu = (cpuPerPost(before.cpu, before.n) + cpuPerPost(after.cpu, after.n)) / 2;
    rounds.push({ b, refRate, refCpu, ratio: ratio(b.perSecond, refRate) });
  }
  // The median round (the lower one of an even count).
  const { b, refRate, refCpu, ratio: mid } = [...rounds].sort((x, y) => x.ratio - y.ratio)[Math.floor((rounds.length - 1) / 2)]!;
  const met = b.perSecond >= refRate;
  console.log(`${kind} burst drain / pipeline by round: ${rounds.map((r) => r.ratio).join(", ")}`);
  const of = rounds.length > 1 ? ` (median round of ${rounds.length})` : "";
  const figures = [
    figure(`${kind} pipeline throughput (reference: worker started on a due burst; mean of the runs before and after)`, refRate, "deliveries/s"),
    figure(`${kind} burst drain rate (running worker, ${b.n} due in one second)`, b.perSecond, "deliveries/s", { text: `≥ ${refRate} (pipeline)`, met }),
    figure(`${kind} burst drain / pipeline${of}`, mid, "×", { text: "≥ 1", met }),
    figure(`${kind} CPU per post, pipeline / burst (node + postgres)`, ratio(refCpu, cpuPerPost(b.cpu, b.n)), "×"),
    figure(`${kind} burst lateness p50`, b.lateness.p50, "ms"),
    figure(`${kind} burst lateness p99`, b.lateness.p99, "ms"),
    figure(`${kind} burst lateness max`, b.lateness.max, "ms"),
    figure(`${kind} burst CPU per post (node + postgres)`, cpuPerPost(b.cpu, b.n), "ms"),
  ];
  return { figures, details: { pipeline: refs, bursts: rounds.map((r) => ({ ...r.b, ratio: r.ratio })), leadMs } };
}

async function steadyFigures(kind: QueueBackendKind, ctx: AppContext, platform: MemoryPlatform, seconds: number, pgDir: string) {
  const s = await withRunningWorker(ctx, () => steady(ctx, platform, seconds, pgDir));
  console.log(`${kind} steady ${STEADY_RATE}/s for ${seconds} s: lateness p50 ${s.lateness.p50} p99 ${s.lateness.p99} max ${s.lateness.max} ms (picked up p50 ${s.pickedUp.p50} p99 ${s.pickedUp.p99}); createPost p50 ${s.createMs.p50} p99 ${s.createMs.p99} ms; ${perPost(s.cpu, s.n)}; ${s.newConnections} new PostgreSQL connections`);
  const figures = [
    figure(`${kind} steady ${STEADY_RATE}/s lateness p50`, s.lateness.p50, "ms"),
    figure(`${kind} steady ${STEADY_RATE}/s lateness p99`, s.lateness.p99, "ms", { text: `≤ ${STEADY_P99_TARGET_MS}`, met: s.lateness.p99 <= STEADY_P99_TARGET_MS }),
    figure(`${kind} steady ${STEADY_RATE}/s lateness max`, s.lateness.max, "ms"),
    figure(`${kind} steady CPU per post (node + postgres)`, cpuPerPost(s.cpu, s.n), "ms"),
  ];
  return { figures, details: { steady: s } };
}

async function onBackend(kind: QueueBackendKind, services: BenchServices, platform: MemoryPlatform, sizes: Sizes) {
  const bc = await benchContext(services, kind);
  const { ctx } = bc;
  const figures: Figure[] = [];
  const details: Record<string, unknown> = {};
  try {
    if (ctx.config.concurrency.posts !== 5) throw new Error(`expected the default post worker concurrency 5, got ${ctx.config.concurrency.posts}`);
    initPostQueue(ctx);
    platform.register(ctx);
    details.clockSkewMs = await clockSkewMs(ctx);
    console.log(`${kind}: clock skew Node − PostgreSQL ${String(details.clockSkewMs)} ms`);
    if (sizes.phases.includes("burst")) {
      const redisPort = kind === "redis" && services.redis ? await services.redis.getPort() : undefined;
      const r = await burstFigures(kind, ctx, platform, sizes, { postgresDir: services.postgres.dir, redisPort });
      figures.push(...r.figures);
      Object.assign(details, r.details);
    }
    if (sizes.phases.includes("steady")) {
      const r = await steadyFigures(kind, ctx, platform, sizes.steadySeconds, services.postgres.dir);
      figures.push(...r.figures);
      Object.assign(details, r.details);
    }
    return { figures, details };
  } finally {
    await getPostQueue(ctx).close();
    await bc.close();
  }
}

export const runLatenessBench: Bench = async (args) => {
  const n = sizeArg(args, "n", 10_000, 200);
  const sizes: Sizes = {
    n,
    refN: Math.min(n, sizeArg(args, "ref-n", n, n)),
    rounds: sizeArg(args, "rounds", 3, 1),
    steadySeconds: sizeArg(args, "seconds", 60, 4),
    phases: args.options.get("phases")?.split(",") ?? ["burst", "steady"],
  };
  const backends = backendsArg(args);
  console.log(`lateness: burst N=${sizes.n}, steady ${STEADY_RATE}/s for ${sizes.steadySeconds} s, backends ${backends.join(", ")}, load ${machine().loadAverage}`);
  const services = await startBenchServices({ redis: backends.includes("redis") });
  const platform = createMemoryPlatform();
  const figures: Figure[] = [];
  const details: Record<string, unknown> = { sizes, notes: "embedded PostgreSQL with fsync=off; zero-latency in-process platform; post worker concurrency 5" };
  try {
    for (const kind of backends) {
      const r = await onBackend(kind, services, platform, sizes);
      figures.push(...r.figures);
      details[kind] = { ...r.details, loadAverage: machine().loadAverage };
    }
  } finally {
    await services.close();
  }
  return { figures, details };
};
