import type { TestPds } from "../helpers/pds";
import { measure, report, type Figures } from "./figures";
import {
  burst,
  schedulePosts,
  setupChaos,
  startWorker,
  stopWorker,
  waitForAll,
  waitForPublished,
  type Backend,
  type WorkerProcess,
} from "./harness";

/** Scenarios that break the worker processes: SIGKILL mid-burst, several workers at once. */

export interface ScenarioResult {
  figures: Figures;
  /** Every post reached the PDS before the deadline. */
  finished: boolean;
  notes: Record<string, unknown>;
}

/** Long enough for stalled jobs (30 s lock) and a reconcile pass on a busy 2-core machine. */
export const settleTimeout = (n: number) => 180_000 + n * 300;

/** The same burst with nothing broken: the lateness every other scenario is compared with. */
export async function baselineScenario(pds: TestPds, kind: Backend, n: number): Promise<ScenarioResult> {
  const s = await setupChaos({ kind, pds });
  let worker: WorkerProcess | undefined;
  try {
    const first = startWorker(s);
    worker = first;
    await first.ready;
    const run = await schedulePosts(s, "baseline", n, burst(n));
    const finished = await waitForAll(s, run, settleTimeout(n));
    const exitCode = await stopWorker(first);
    worker = undefined;
    const figures = await measure(s, pds, run);
    report(figures, "no faults");
    return { figures, finished, notes: { exitCode } };
  } finally {
    worker?.kill("SIGKILL");
    await s.close();
  }
}

/** SIGKILL the only worker process 3 times during the burst, starting a new one each time. */
export async function workerKillScenario(pds: TestPds, kind: Backend, n: number): Promise<ScenarioResult> {
  const s = await setupChaos({ kind, pds });
  let worker: WorkerProcess | undefined;
  try {
    const first = startWorker(s);
    worker = first;
    await first.ready;
    const run = await schedulePosts(s, "sigkill", n, burst(n));
    const atKill: number[] = [];
    for (const share of [0.2, 0.45, 0.7]) {
      atKill.push(await waitForPublished(s, run, Math.ceil(n * share), settleTimeout(n)));
      worker.kill("SIGKILL");
      await worker.exited;
      worker = startWorker(s);
    }
    const finished = await waitForAll(s, run, settleTimeout(n));
    const exitCode = await stopWorker(worker);
    worker = undefined;
    const figures = await measure(s, pds, run);
    report(figures, `killed at ${atKill.join("/")} published`);
    return { figures, finished, notes: { atKill, exitCode } };
  } finally {
    worker?.kill("SIGKILL");
    await s.close();
  }
}

/** Counts "delivery published" lines (debug) per worker process. */
function publishedPerWorker(output: string): number {
  let count = 0;
  for (const line of output.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const entry = JSON.parse(line) as { msg?: string; outcome?: string };
      if (entry.msg === "delivery published" && entry.outcome === "published") count++;
    } catch {
      // not a log line
    }
  }
  return count;
}

/** Three worker processes on one queue: nothing twice, and every process takes a share. */
export async function threeWorkersScenario(pds: TestPds, kind: Backend, n: number): Promise<ScenarioResult> {
  const s = await setupChaos({ kind, pds });
  const workers: Array<ReturnType<typeof startWorker>> = [];
  try {
    for (let i = 0; i < 3; i++) workers.push(startWorker(s, { LOG_LEVEL: "debug" }));
    await Promise.all(workers.map((w) => w.ready));
    const run = await schedulePosts(s, "three-workers", n, burst(n));
    const finished = await waitForAll(s, run, settleTimeout(n));
    const exitCodes = await Promise.all(workers.map((w) => stopWorker(w)));
    const perWorker = workers.map((w) => publishedPerWorker(w.output()));
    workers.length = 0;
    const figures = await measure(s, pds, run);
    report(figures, `published per worker ${perWorker.join("/")}`);
    return { figures, finished, notes: { perWorker, exitCodes } };
  } finally {
    for (const w of workers) w.kill("SIGKILL");
    await s.close();
  }
}
