import { AtpAgent } from "@atproto/api";
import { sql } from "drizzle-orm";
import { connectAccount } from "@/app/lib/accounts/connectAccount";
import { newRecordKeys } from "@/app/lib/api/bluesky/tid";
import type { QueueBackendKind } from "@/app/lib/config";
import { createPost } from "@/app/lib/posts/createPost";
import { getPostQueue, initPostQueue } from "@/app/lib/queues/postQueue";
import { createPostWorker } from "@/app/lib/queues/worker";
import {
  backendsArg,
  benchContext,
  benchUser,
  figure,
  machine,
  median,
  profilePhase,
  ratio,
  settlePostgres,
  sizeArg,
  sleep,
  startBenchServices,
  topStatements,
  type Bench,
  type BenchArgs,
  type BenchServices,
  type Figure,
} from "./harness";
import { allowedCpus, canPin, descendantsCpuMs, pinProcess, processCpuMs, startPdsProcess, type RemotePds } from "./pdsProcess";

/**
 * N posts through PostMore's whole path against a real local PDS (createPost with no
 * scheduledAt → queue → post worker at the default concurrency 5 → apiManager →
 * blueSkyService → PDS) against N direct @atproto/api writes at the same concurrency to
 * the same PDS: putRecord with a TID key and swapRecord null (the write PostMore makes)
 * and createRecord. Every run writes to a fresh PDS account, so each starts with an empty
 * repo. Runs are interleaved raw, PostMore(redis), raw, PostMore(postgres), raw, … (`--rounds`
 * times, default 5): each PostMore run is compared with the mean of the raw rounds just
 * before and after it, so drift in the machine's load hits both sides alike, and the figures
 * are medians over the rounds (one run moved ±0.1 from the next). Throughput = N / (last
 * write − first request). After every run the PDS is asked for the account's posts: exactly N or it throws.
 *
 * The PDS runs in a child process by default (`--pds process`): a real PDS is a server
 * elsewhere, and in one process every millisecond of client work is taken from the PDS's
 * event loop. It also gets a core of its own (taskset; `--shared-cores` to let every process
 * share every core), its files live on /dev/shm, and both sides are warmed by a full untimed
 * round first. `--pds inline` runs it in the bench process instead (test/helpers/pds.ts as
 * the tests use it), which charges PostMore's CPU to the PDS 1:1. CPU milliseconds per
 * post of the client and the PDS process are reported too: they drift far less than
 * throughput with the neighbours' load.
 */

const CONCURRENCY = 5;
const COLLECTION = "app.bsky.feed.post";

type BenchPds = Pick<RemotePds, "url" | "env" | "pid" | "createAccount" | "listPosts" | "close">;

interface Run {
  perSecond: number;
  seconds: number;
  load: number;
  /**
   * CPU ms per post: this process (the raw client, or PostMore's createPost and worker),
   * PostgreSQL and Redis (`services`), and the PDS process (counted in `client` when inline).
   */
  cpuMsPerPost: { client: number; services: number; pds: number };
}

/**
 * A PostMore run also says how fast it published while the posts were still being created
 * (the bench's create calls, the worker and the queue's database share CPU 0 then) and after.
 */
type PostMoreRun = Run & { phases: { creatingSeconds: number; publishedPerSecondWhileCreating: number; publishedPerSecondAfter: number } };

/** When the last post was created, how many were published by then, and when the last one was. */
interface BurstDone {
  created: number;
  publishedWhenCreated: number;
  last: number;
}

function phases(n: number, start: number, done: BurstDone): PostMoreRun["phases"] {
  const seconds = (done.created - start) / 1000;
  const published = done.publishedWhenCreated;
  const after = (done.last - done.created) / 1000;
  return {
    creatingSeconds: Number(seconds.toFixed(2)),
    publishedPerSecondWhileCreating: Number((published / seconds).toFixed(1)),
    publishedPerSecondAfter: after > 0 ? Number(((n - published) / after).toFixed(1)) : 0,
  };
}

/** Starts the clocks (wall and CPU) of one run; `end(n, endTime)` summarises it. */
function meter(pds: BenchPds) {
  const start = Date.now();
  const cpu = process.cpuUsage();
  const pdsCpu = processCpuMs(pds.pid);
  // Inline, the PDS is this process: every descendant is a service.
  const notServices = pds.pid === process.pid ? -1 : pds.pid;
  const servicesCpu = descendantsCpuMs(process.pid, notServices);
  return {
    start,
    end(n: number, end: number): Run {
      const seconds = (end - start) / 1000;
      const used = process.cpuUsage(cpu);
      const per = (ms: number) => Number((ms / n).toFixed(1));
      return {
        perSecond: Number((n / seconds).toFixed(1)),
        seconds: Number(seconds.toFixed(2)),
        load: machine().loadAverage,
        cpuMsPerPost: {
          client: per((used.user + used.system) / 1000),
          services: per(descendantsCpuMs(process.pid, notServices) - servicesCpu),
          pds: pds.pid === process.pid ? 0 : per(processCpuMs(pds.pid) - pdsCpu),
        },
      };
    },
  };
}

/** Runs `work(i)` for i in 0..n-1 with at most `concurrency` in flight. */
async function pool(n: number, concurrency: number, work: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < n) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, lane));
}

async function expectPosts(pds: BenchPds, did: string, n: number, what: string): Promise<void> {
  const records = await pds.listPosts(did);
  const texts = new Set(records.map((r) => r.value.text));
  if (records.length !== n || texts.size !== n) {
    throw new Error(`${what}: the PDS holds ${records.length} posts (${texts.size} distinct texts), expected exactly ${n}`);
  }
}

async function rawRun(pds: BenchPds, n: number, mode: "putRecord" | "createRecord"): Promise<Run> {
  const account = await pds.createAccount("raw");
  const agent = new AtpAgent({ service: pds.url });
  await agent.login({ identifier: account.handle, password: account.appPassword });
  const rkeys = newRecordKeys(n);
  const createdAt = new Date().toISOString();
  const repo = agent.com.atproto.repo;
  const clock = meter(pds);
  await pool(n, CONCURRENCY, async (i) => {
    const record = { $type: COLLECTION, text: `bench post ${i}`, createdAt };
    if (mode === "putRecord") await repo.putRecord({ repo: account.did, collection: COLLECTION, rkey: rkeys[i]!, record, swapRecord: null });
    else await repo.createRecord({ repo: account.did, collection: COLLECTION, record });
  });
  const run = clock.end(n, Date.now());
  await expectPosts(pds, account.did, n, `raw ${mode}`);
  return run;
}

async function rawRound(pds: BenchPds, n: number) {
  const putRecord = await rawRun(pds, n, "putRecord");
  const createRecord = await rawRun(pds, n, "createRecord");
  console.log(`  raw @atproto/api: putRecord ${putRecord.perSecond}/s (${putRecord.seconds} s), createRecord ${createRecord.perSecond}/s (${createRecord.seconds} s), load ${createRecord.load}`);
  return { putRecord, createRecord };
}

async function postMoreRun(args: BenchArgs, services: BenchServices, pds: BenchPds, kind: QueueBackendKind, n: number, warmUp: number): Promise<PostMoreRun> {
  const bench = await benchContext(services, kind, pds.env);
  const { ctx } = bench;
  const db = ctx.database.db;
  if (ctx.config.concurrency.posts !== CONCURRENCY) throw new Error(`post worker concurrency is ${ctx.config.concurrency.posts}, expected the default ${CONCURRENCY}`);
  initPostQueue(ctx);
  const worker = createPostWorker(ctx);
  try {
    const user = await benchUser(ctx);
    // The path POST /api/accounts takes: log in with the app password, store the sealed session.
    const connect = async () => {
      const remote = await pds.createAccount("pm");
      const { account } = await connectAccount(ctx, user.id, { platform: "bluesky", identifier: remote.handle, appPassword: remote.appPassword, service: pds.url });
      return { did: remote.did, accountId: account.id };
    };
    await worker.waitUntilReady();

    /** Schedules `count` posts "now" (while the worker already publishes the first ones) and waits for all. */
    const burst = async (accountId: string, count: number): Promise<BurstDone> => {
      await pool(count, CONCURRENCY, (i) => createPost(ctx, user.id, { text: `bench post ${i}`, accountIds: [accountId] }));
      const created = Date.now();
      let publishedWhenCreated: number | undefined;
      const deadline = Date.now() + 60_000 + count * 200;
      for (;;) {
        const row = (await db.execute(sql`
          SELECT count(*) FILTER (WHERE status = 'published')::int AS published,
                 count(*) FILTER (WHERE status = 'failed')::int AS failed,
                 (extract(epoch FROM max(published_at)) * 1000)::float8 AS last
          FROM deliveries WHERE account_id = ${accountId}`)).rows[0] as { published: number; failed: number; last: number | null };
        publishedWhenCreated ??= row.published;
        if (row.failed > 0) throw new Error(`PostMore on ${kind}: ${row.failed} deliveries failed`);
        if (row.published >= count) return { created, publishedWhenCreated, last: row.last ?? Date.now() };
        if (Date.now() > deadline) throw new Error(`PostMore on ${kind}: only ${row.published} of ${count} published in time`);
        await sleep(100);
      }
    };

    // Warm PostMore's own code (JIT, pools) as the raw client was warmed, on an account of its own.
    const warm = await connect();
    await burst(warm.accountId, warmUp);
    await expectPosts(pds, warm.did, warmUp, `PostMore warm-up on ${kind}`);
    await settlePostgres(ctx);

    const measured = await connect();
    const pgStats = args.options.has("pg-stats");
    if (pgStats) await topStatements(ctx, { reset: true, nested: args.options.get("pg-stats") === "nested" });
    const clock = meter(pds);
    const done = await profilePhase(args, `pds-end-to-end ${kind}`, () => burst(measured.accountId, n));
    const run: PostMoreRun = { ...clock.end(n, done.last), phases: phases(n, clock.start, done) };
    if (pgStats) console.log(`  PostgreSQL's costliest statements (PostMore on ${kind}):\n    ${(await topStatements(ctx)).join("\n    ")}`);
    await expectPosts(pds, measured.did, n, `PostMore on ${kind}`);
    return run;
  } finally {
    await worker.close();
    await getPostQueue(ctx).close();
    await bench.close();
  }
}

/**
 * The share of the PDS's core a run kept busy (writes/s × PDS CPU per write). The PDS is the
 * bottleneck of every run here, and its CPU per write varies by ±30 % between identical raw
 * runs, so the throughput ratio carries that noise; this says how close a client came to
 * saturating the PDS, which is what the client decides.
 */
const pdsBusy = (run: Run) => Number(((run.perSecond * run.cpuMsPerPost.pds) / 10).toFixed(1));
const mean = (a: number, b: number) => Number(((a + b) / 2).toFixed(1));
/** "client + services + PDS = total" CPU ms per post, averaged over runs, as one figure's value. */
const cpuAvg = (runs: Run[]) => {
  const sum = (pick: (c: Run["cpuMsPerPost"]) => number) => runs.reduce((s, r) => s + pick(r.cpuMsPerPost), 0) / runs.length;
  return Number(sum((c) => c.client + c.services + c.pds).toFixed(1));
};

export const runPdsEndToEndBench: Bench = async (args) => {
  const n = sizeArg(args, "n", 500, 10);
  // One run moved by ±0.1 from the next on this 2-core machine: the figure is the median of several.
  const roundCount = sizeArg(args, "rounds", 5, 1);
  const backends = backendsArg(args);
  const loadBefore = machine().loadAverage;
  const pdsMode = args.options.get("pds") ?? "process";
  console.log(`pds-end-to-end: N=${n}, concurrency ${CONCURRENCY}, backends ${backends.join(", ")}, PDS ${pdsMode}, load ${loadBefore}`);
  // By default the PDS gets the last core and this process, PostgreSQL and Redis the others, as
  // if the PDS were a server elsewhere: on shared cores every millisecond PostMore's side spends
  // is taken from the PDS, and the figure measures the machine's total CPU more than PostMore.
  const pin = pdsMode === "process" && !args.options.has("shared-cores") && canPin();
  const cpus = pin ? allowedCpus() : [];
  const pdsCpu = String(cpus.at(-1));
  const ours = cpus.slice(0, -1).join(",");
  if (pin) pinProcess(process.pid, ours);
  console.log(pin ? `  PDS pinned to CPU ${pdsCpu}; this process, PostgreSQL and Redis to CPUs ${ours}` : "  all processes share every CPU");
  const pds: BenchPds =
    pdsMode === "inline"
      ? { ...(await (await import("@/test/helpers/pds")).startTestPds()), pid: process.pid }
      : await startPdsProcess({ cpu: pin ? pdsCpu : undefined });
  const services = await startBenchServices({ redis: backends.includes("redis"), pgStats: args.options.has("pg-stats") });
  try {
    // A cold PDS (JIT, SQLite caches) is markedly slower than a warm one: warm it first, with a
    // full untimed round (after only n/5 writes the first timed round ran 15-30 % slower than the next).
    const warmUp = Math.max(10, Math.round(n / 5));
    await rawRun(pds, n, "putRecord");
    await rawRun(pds, n, "createRecord");
    const rounds = [await rawRound(pds, n)];
    const postMore: Record<string, Array<{ run: PostMoreRun; put: number; create: number; vsPut: number; vsCreate: number }>> = {};
    for (let round = 0; round < roundCount; round++) {
      for (const kind of backends) {
        const run = await postMoreRun(args, services, pds, kind, n, warmUp);
        const before = rounds[rounds.length - 1]!;
        const after = await rawRound(pds, n);
        rounds.push(after);
        const put = mean(before.putRecord.perSecond, after.putRecord.perSecond);
        const create = mean(before.createRecord.perSecond, after.createRecord.perSecond);
        const vsPut = ratio(run.perSecond, put);
        const vsCreate = ratio(run.perSecond, create);
        (postMore[kind] ??= []).push({ run, put, create, vsPut, vsCreate });
        const p = run.phases;
        console.log(`  PostMore on ${kind}: ${run.perSecond} posts/s (${run.seconds} s), ratio ${vsPut} vs putRecord, ${vsCreate} vs createRecord, load ${run.load}`);
        console.log(`    while creating (${p.creatingSeconds} s): ${p.publishedPerSecondWhileCreating} posts/s published; after: ${p.publishedPerSecondAfter} posts/s (${ratio(p.publishedPerSecondAfter, put)} of raw putRecord)`);
      }
    }
    const avg = (pick: (r: (typeof rounds)[number]) => Run) => Number((rounds.reduce((s, r) => s + pick(r).perSecond, 0) / rounds.length).toFixed(1));
    const figures: Figure[] = [
      figure("raw putRecord (TID key), concurrency 5", avg((r) => r.putRecord), "writes/s"),
      figure("raw createRecord, concurrency 5", avg((r) => r.createRecord), "writes/s"),
      figure("CPU per raw putRecord: client + PDS", cpuAvg(rounds.map((r) => r.putRecord)), "ms"),
    ];
    for (const kind of backends) {
      const runs = postMore[kind]!;
      const vsPut = median(runs.map((r) => r.vsPut));
      const all = runs.map((r) => r.vsPut).join(", ");
      figures.push(
        figure(`PostMore end to end on ${kind} (median of ${runs.length})`, median(runs.map((r) => r.run.perSecond)), "posts/s"),
        figure(`ratio PostMore/raw putRecord on ${kind} (median; runs ${all})`, vsPut, "×", { text: "≥ 0.9", met: vsPut >= 0.9 }),
        figure(`ratio PostMore/raw createRecord on ${kind} (median)`, median(runs.map((r) => r.vsCreate)), "×"),
        figure(`CPU per post on ${kind}: PostMore (+ PostgreSQL, Redis) + PDS`, cpuAvg(runs.map((r) => r.run)), "ms"),
        figure(`publish rate on ${kind} once every post is created, ÷ raw putRecord (median)`, median(runs.map((r) => ratio(r.run.phases.publishedPerSecondAfter, r.put))), "×"),
      );
      if (pdsMode === "process") figures.push(figure(`PDS busy while PostMore on ${kind} publishes (median)`, median(runs.map((r) => pdsBusy(r.run))), "%"));
    }
    if (pdsMode === "process") figures.push(figure("PDS busy during raw putRecord (median)", median(rounds.map((r) => pdsBusy(r.putRecord))), "%"));
    return {
      figures,
      details: {
        n,
        concurrency: CONCURRENCY,
        warmUp: `${n} untimed writes of each kind on the PDS first; before each PostMore run ${warmUp} untimed PostMore posts (own account), then VACUUM ANALYZE`,
        order: `raw round (putRecord, createRecord), then ${roundCount} times per backend: PostMore, raw round; each PostMore run vs the mean of the rounds around it; figures are medians`,
        accounts: "a fresh PDS account per run (every run starts with an empty repo)",
        pds: `@atproto/dev-env TestNetworkNoAppView (SQLite), ${pdsMode === "inline" ? "in the bench process" : "in a child process"}`,
        cpus: pin ? `PDS on CPU ${pdsCpu}, everything else on ${ours}` : "shared",
        rawRounds: rounds,
        postMore,
        loadAverage: { before: loadBefore, after: machine().loadAverage },
      },
    };
  } finally {
    await services.close();
    await pds.close();
    if (pin) pinProcess(process.pid, cpus.join(","));
  }
};
