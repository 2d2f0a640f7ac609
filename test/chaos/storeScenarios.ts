import type { TestPds } from "../helpers/pds";
import { postsApi } from "../helpers/postsApi";
import { getPostQueue } from "@/app/lib/queues/postQueue";
import { measure, report } from "./figures";
import {
  burst,
  schedulePosts,
  setupChaos,
  sleep,
  startWorker,
  stopWorker,
  waitForAll,
  waitForPublished,
  type Backend,
  type WorkerProcess,
} from "./harness";
import { startTestPostgres } from "../helpers/embeddedPg";
import { settleTimeout, type ScenarioResult } from "./processScenarios";

/** Scenarios that break the stores under the worker: Redis and PostgreSQL restarts, Redis wiped or down. */

/** Redis (AOF on) restarted twice during the burst: once cleanly (SIGTERM), once crashed (SIGKILL). */
export async function redisRestartScenario(pds: TestPds, n: number): Promise<ScenarioResult> {
  const s = await setupChaos({ kind: "redis", pds });
  const redis = s.redis!;
  let worker: WorkerProcess | undefined;
  try {
    const first = startWorker(s);
    worker = first;
    await first.ready;
    const run = await schedulePosts(s, "redis-restart", n, burst(n));
    const atRestart: number[] = [];
    for (const [share, signal] of [[0.3, "SIGTERM"], [0.65, "SIGKILL"]] as const) {
      atRestart.push(await waitForPublished(s, run, Math.ceil(n * share), settleTimeout(n)));
      await redis.stop(signal);
      await sleep(2_000);
      await redis.start();
    }
    const finished = await waitForAll(s, run, settleTimeout(n));
    const workerAlive = worker.pid > 0 && (await Promise.race([worker.exited.then(() => false), sleep(10).then(() => true)]));
    const exitCode = await stopWorker(worker);
    worker = undefined;
    const figures = await measure(s, pds, run);
    report(figures, `restarted at ${atRestart.join("/")} published (SIGTERM, then SIGKILL)`);
    return { figures, finished, notes: { atRestart, workerAlive, exitCode } };
  } finally {
    worker?.kill("SIGKILL");
    await s.close();
  }
}

/**
 * The queue store loses everything while every post is still pending: FLUSHALL on Redis
 * (on PostgreSQL the nearest thing: the queue obliterated). The reconciler rebuilds the jobs.
 */
export async function queueWipeScenario(pds: TestPds, kind: Backend, n: number): Promise<ScenarioResult> {
  const s = await setupChaos({ kind, pds });
  let worker: WorkerProcess | undefined;
  try {
    const first = startWorker(s, { RECONCILE_INTERVAL_SECONDS: "2" });
    worker = first;
    await first.ready;
    // All due together, far enough ahead that they are all queued (delayed) when the wipe hits.
    const run = await schedulePosts(s, "queue-wipe", n, { startInMs: 10_000 + n * 30, spreadMs: 0 });
    const queue = getPostQueue(s.ctx);
    const queuedBefore = await queue.getJobCountByTypes("delayed", "waiting");
    if (kind === "redis") await s.redis!.flushAll();
    else await queue.obliterate({ force: true });
    const queuedAfterWipe = await queue.getJobCountByTypes("delayed", "waiting", "active", "completed");
    const finished = await waitForAll(s, run, settleTimeout(n));
    const exitCode = await stopWorker(worker);
    worker = undefined;
    const figures = await measure(s, pds, run);
    report(figures, `${queuedBefore} jobs queued before the wipe, ${queuedAfterWipe} after`);
    return { figures, finished, notes: { queuedBefore, queuedAfterWipe, exitCode } };
  } finally {
    worker?.kill("SIGKILL");
    await s.close();
  }
}

/** PostgreSQL (a cluster of this scenario's own) stopped for a few seconds mid-burst; the worker is not restarted. */
export async function postgresRestartScenario(pds: TestPds, kind: Backend, n: number): Promise<ScenarioResult> {
  const cluster = await startTestPostgres();
  let worker: WorkerProcess | undefined;
  try {
    const s = await setupChaos({ kind, pds, postgres: cluster });
    try {
      const w = startWorker(s);
      worker = w;
      await w.ready;
      let exitedEarly = false;
      void w.exited.then(() => (exitedEarly = worker === w));
      const run = await schedulePosts(s, "pg-restart", n, burst(n));
      const atStop = await waitForPublished(s, run, Math.ceil(n * 0.3), settleTimeout(n));
      await cluster.stop();
      await sleep(4_000);
      await cluster.start();
      const finished = await waitForAll(s, run, settleTimeout(n));
      const workerSurvived = !exitedEarly;
      const exitCode = await stopWorker(w);
      worker = undefined;
      const figures = await measure(s, pds, run);
      report(figures, `PostgreSQL down 4 s at ${atStop} published; worker ${workerSurvived ? "never restarted" : "EXITED"}`);
      return { figures, finished, notes: { atStop, workerSurvived, exitCode, output: workerSurvived ? "" : w.output().slice(-4000) } };
    } finally {
      worker?.kill("SIGKILL");
      await s.close();
    }
  } finally {
    await cluster.close();
  }
}

/**
 * Redis down while posts are created through the API. createPost commits to PostgreSQL and
 * answers 201 (the enqueue gives up after 3 s); once Redis is back the worker's reconciler
 * enqueues the pending deliveries and each goes out once.
 */
export async function redisDownApiScenario(pds: TestPds, n: number): Promise<ScenarioResult> {
  const s = await setupChaos({ kind: "redis", pds });
  const redis = s.redis!;
  let worker: WorkerProcess | undefined;
  try {
    const first = startWorker(s, { RECONCILE_INTERVAL_SECONDS: "2" });
    worker = first;
    await first.ready;
    await redis.stop("SIGTERM");
    const api = postsApi(s.token);
    const textPrefix = `chaos redis-down-api redis ${Date.now()} #`;
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: n }, (_, i) => api.create({ text: `${textPrefix}${i}`, accountIds: [s.accounts[i % s.accounts.length]!.id] })),
    );
    const answerMs = Date.now() - started;
    const statuses = [...new Set(answers.map((a) => a.status))];
    await sleep(3_000);
    await redis.start();
    const run = { scenario: "redis-down-api", kind: "redis" as const, textPrefix, n, postIds: answers.map((a) => a.body?.post?.id as string) };
    const finished = await waitForAll(s, run, settleTimeout(n));
    const exitCode = await stopWorker(worker);
    worker = undefined;
    const figures = await measure(s, pds, run);
    report(figures, `API answered ${statuses.join(",")} in ${answerMs} ms while Redis was down`);
    return { figures, finished, notes: { statuses, answerMs, exitCode } };
  } finally {
    worker?.kill("SIGKILL");
    await s.close();
  }
}
