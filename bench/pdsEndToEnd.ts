import { AtpAgent } from "@atproto/api";
import { sql } from "drizzle-orm";
import { connectAccount } from "@/app/lib/accounts/connectAccount";
import { newRecordKeys } from "@/app/lib/api/bluesky/tid";
import type { QueueBackendKind } from "@/app/lib/config";
import { createPost } from "@/app/lib/posts/createPost";
import { getPostQueue, initPostQueue } from "@/app/lib/queues/postQueue";
import { createPostWorker } from "@/app/lib/queues/worker";
import { startTestPds, type TestPds } from "@/test/helpers/pds";
import {
  backendsArg,
  benchContext,
  benchUser,
  figure,
  machine,
  ratio,
  sizeArg,
  sleep,
  startBenchServices,
  type Bench,
  type BenchServices,
  type Figure,
} from "./harness";

/**
 * N posts through PostMore's whole path against a real local PDS (createPost with no
 * scheduledAt → queue → post worker at the default concurrency 5 → apiManager →
 * blueSkyService → PDS) against N direct @atproto/api writes at the same concurrency to
 * the same PDS: putRecord with a TID key and swapRecord null (the write PostMore makes)
 * and createRecord. Every run writes to a fresh PDS account, so each starts with an empty
 * repo. Runs are interleaved raw, PostMore(redis), raw, PostMore(postgres), raw: each
 * PostMore run is compared with the mean of the raw rounds just before and after it, so
 * drift in the machine's load hits both sides alike. Throughput = N / (last write − first
 * request). After every run the PDS is asked for the account's posts: exactly N or it throws.
 */

const CONCURRENCY = 5;
const COLLECTION = "app.bsky.feed.post";

interface Run {
  perSecond: number;
  seconds: number;
  load: number;
}

const runOf = (n: number, start: number, end: number): Run => {
  const seconds = (end - start) / 1000;
  return { perSecond: Number((n / seconds).toFixed(1)), seconds: Number(seconds.toFixed(2)), load: machine().loadAverage };
};

/** Runs `work(i)` for i in 0..n-1 with at most `concurrency` in flight. */
async function pool(n: number, concurrency: number, work: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < n) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, lane));
}

async function expectPosts(pds: TestPds, did: string, n: number, what: string): Promise<void> {
  const records = await pds.listPosts(did);
  const texts = new Set(records.map((r) => r.value.text));
  if (records.length !== n || texts.size !== n) {
    throw new Error(`${what}: the PDS holds ${records.length} posts (${texts.size} distinct texts), expected exactly ${n}`);
  }
}

async function rawRun(pds: TestPds, n: number, mode: "putRecord" | "createRecord"): Promise<Run> {
  const account = await pds.createAccount("raw");
  const agent = new AtpAgent({ service: pds.url });
  await agent.login({ identifier: account.handle, password: account.appPassword });
  const rkeys = newRecordKeys(n);
  const createdAt = new Date().toISOString();
  const repo = agent.com.atproto.repo;
  const start = Date.now();
  await pool(n, CONCURRENCY, async (i) => {
    const record = { $type: COLLECTION, text: `bench post ${i}`, createdAt };
    if (mode === "putRecord") await repo.putRecord({ repo: account.did, collection: COLLECTION, rkey: rkeys[i]!, record, swapRecord: null });
    else await repo.createRecord({ repo: account.did, collection: COLLECTION, record });
  });
  const run = runOf(n, start, Date.now());
  await expectPosts(pds, account.did, n, `raw ${mode}`);
  return run;
}

async function rawRound(pds: TestPds, n: number) {
  const putRecord = await rawRun(pds, n, "putRecord");
  const createRecord = await rawRun(pds, n, "createRecord");
  console.log(`  raw @atproto/api: putRecord ${putRecord.perSecond}/s (${putRecord.seconds} s), createRecord ${createRecord.perSecond}/s (${createRecord.seconds} s), load ${createRecord.load}`);
  return { putRecord, createRecord };
}

async function postMoreRun(services: BenchServices, pds: TestPds, kind: QueueBackendKind, n: number): Promise<Run> {
  const bench = await benchContext(services, kind);
  const { ctx } = bench;
  const db = ctx.database.db;
  if (ctx.config.concurrency.posts !== CONCURRENCY) throw new Error(`post worker concurrency is ${ctx.config.concurrency.posts}, expected the default ${CONCURRENCY}`);
  initPostQueue(ctx);
  const worker = createPostWorker(ctx);
  try {
    const user = await benchUser(ctx);
    const remote = await pds.createAccount("pm");
    // The path POST /api/accounts takes: log in with the app password, store the sealed session.
    const { account } = await connectAccount(ctx, user.id, { platform: "bluesky", identifier: remote.handle, appPassword: remote.appPassword, service: pds.url });
    await worker.waitUntilReady();

    const start = Date.now();
    // Clients scheduling posts "now" while the worker already publishes the first ones.
    await pool(n, CONCURRENCY, (i) => createPost(ctx, user.id, { text: `bench post ${i}`, accountIds: [account.id] }));
    const deadline = Date.now() + 60_000 + n * 200;
    for (;;) {
      const row = (await db.execute(sql`
        SELECT count(*) FILTER (WHERE status = 'published')::int AS published,
               count(*) FILTER (WHERE status = 'failed')::int AS failed,
               (extract(epoch FROM max(published_at)) * 1000)::float8 AS last
        FROM deliveries`)).rows[0] as { published: number; failed: number; last: number | null };
      if (row.failed > 0) throw new Error(`PostMore on ${kind}: ${row.failed} deliveries failed`);
      if (row.published >= n) {
        const run = runOf(n, start, row.last ?? Date.now());
        await expectPosts(pds, remote.did, n, `PostMore on ${kind}`);
        return run;
      }
      if (Date.now() > deadline) throw new Error(`PostMore on ${kind}: only ${row.published} of ${n} published in time`);
      await sleep(100);
    }
  } finally {
    await worker.close();
    await getPostQueue(ctx).close();
    await bench.close();
  }
}

const mean = (a: number, b: number) => Number(((a + b) / 2).toFixed(1));

export const runPdsEndToEndBench: Bench = async (args) => {
  const n = sizeArg(args, "n", 500, 20);
  const backends = backendsArg(args);
  const loadBefore = machine().loadAverage;
  console.log(`pds-end-to-end: N=${n}, concurrency ${CONCURRENCY}, backends ${backends.join(", ")}, load ${loadBefore}`);
  const pds = await startTestPds();
  const services = await startBenchServices({ redis: backends.includes("redis") });
  try {
    const rounds = [await rawRound(pds, n)];
    const postMore: Partial<Record<QueueBackendKind, { run: Run; put: number; create: number }>> = {};
    for (const kind of backends) {
      const run = await postMoreRun(services, pds, kind, n);
      const before = rounds[rounds.length - 1]!;
      const after = await rawRound(pds, n);
      rounds.push(after);
      const put = mean(before.putRecord.perSecond, after.putRecord.perSecond);
      const create = mean(before.createRecord.perSecond, after.createRecord.perSecond);
      postMore[kind] = { run, put, create };
      console.log(`  PostMore on ${kind}: ${run.perSecond} posts/s (${run.seconds} s), ratio ${ratio(run.perSecond, put)} vs putRecord, ${ratio(run.perSecond, create)} vs createRecord, load ${run.load}`);
    }
    const avg = (pick: (r: (typeof rounds)[number]) => Run) => Number((rounds.reduce((s, r) => s + pick(r).perSecond, 0) / rounds.length).toFixed(1));
    const figures: Figure[] = [
      figure("raw putRecord (TID key), concurrency 5", avg((r) => r.putRecord), "writes/s"),
      figure("raw createRecord, concurrency 5", avg((r) => r.createRecord), "writes/s"),
    ];
    for (const kind of backends) {
      const pm = postMore[kind]!;
      const vsPut = ratio(pm.run.perSecond, pm.put);
      figures.push(
        figure(`PostMore end to end on ${kind}`, pm.run.perSecond, "posts/s"),
        figure(`ratio PostMore/raw putRecord on ${kind}`, vsPut, "×", { text: "≥ 0.9", met: vsPut >= 0.9 }),
        figure(`ratio PostMore/raw createRecord on ${kind}`, ratio(pm.run.perSecond, pm.create), "×"),
      );
    }
    return {
      figures,
      details: {
        n,
        concurrency: CONCURRENCY,
        order: "raw round (putRecord, createRecord), then per backend: PostMore, raw round; each PostMore run vs the mean of the rounds around it",
        accounts: "a fresh PDS account per run (every run starts with an empty repo)",
        pds: "@atproto/dev-env TestNetworkNoAppView in the bench process (SQLite)",
        rawRounds: rounds,
        postMore,
        loadAverage: { before: loadBefore, after: machine().loadAverage },
      },
    };
  } finally {
    await services.close();
    await pds.close();
  }
};
