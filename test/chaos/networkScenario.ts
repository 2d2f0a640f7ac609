import { sql } from "drizzle-orm";
import type { TestPds } from "../helpers/pds";
import { startChaosProxy } from "./chaosProxy";
import { measure, report } from "./figures";
import { burst, schedulePosts, setupChaos, startWorker, stopWorker, waitForAll, type Backend, type WorkerProcess } from "./harness";
import { settleTimeout, type ScenarioResult } from "./processScenarios";

const RETRY_AFTER_SECONDS = 2;
/** The worker's per-request timeout to the PDS in this scenario (production default 15 s). */
const PDS_TIMEOUT_MS = 2_000;

/**
 * 30% of the record writes fail (5xx, timeout after commit, response dropped after commit,
 * 429 with Retry-After): every post must land once, every delivery within its 4 attempts,
 * and no write for a record may come back before its Retry-After ran out.
 */
export async function faultyNetworkScenario(pds: TestPds, kind: Backend, n: number): Promise<ScenarioResult> {
  const proxy = await startChaosProxy({ target: pds.url, faultRate: 0.3, retryAfterSeconds: RETRY_AFTER_SECONDS, maxBurningFaultsPerKey: 3 });
  let worker: WorkerProcess | undefined;
  try {
    const s = await setupChaos({ kind, pds, service: proxy.url, retryDelayMs: 500 });
    try {
      const w = startWorker(s, { ATPROTO_TIMEOUT_MS: String(PDS_TIMEOUT_MS) });
      worker = w;
      await w.ready;
      const run = await schedulePosts(s, "faulty-network", n, burst(n));
      const finished = await waitForAll(s, run, settleTimeout(n));
      const exitCode = await stopWorker(worker);
      worker = undefined;
      const figures = await measure(s, pds, run);

      // Waits honoured: the write after a 429 for the same record comes no sooner than Retry-After.
      let waits = 0;
      let earlyAfter429 = 0;
      let shortestWaitMs = Infinity;
      for (const events of proxy.events.values()) {
        for (let i = 0; i + 1 < events.length; i++) {
          if (events[i]!.fault !== "429") continue;
          waits++;
          const gap = events[i + 1]!.at - events[i]!.at;
          shortestWaitMs = Math.min(shortestWaitMs, gap);
          if (gap < RETRY_AFTER_SECONDS * 1000 - 50) earlyAfter429++;
        }
      }
      // Retries within the configured attempts: no delivery needed more than 3 retries, none failed.
      const { rows } = await s.ctx.database.db.execute(
        sql`SELECT coalesce(max(r.retries), 0)::int AS max_retries,
                   count(*) FILTER (WHERE d.status = 'failed')::int AS failed
            FROM deliveries d JOIN posts p ON p.id = d.post_id
            LEFT JOIN LATERAL (SELECT count(*) AS retries FROM delivery_attempts a
                               WHERE a.delivery_id = d.id AND a.outcome IN ('retry', 'failed')) r ON true
            WHERE starts_with(p.text, ${run.textPrefix})`,
      );
      const { max_retries: maxRetries, failed } = rows[0] as { max_retries: number; failed: number };
      const counts = proxy.counts();
      const faults = counts["5xx"] + counts.timeout + counts.drop + counts["429"];
      const faultShare = Math.round((100 * faults) / Math.max(1, faults + counts.ok));
      report(
        figures,
        `${faultShare}% of ${faults + counts.ok} writes faulted: 5xx ${counts["5xx"]}, timeout ${counts.timeout}, drop ${counts.drop}, 429 ${counts["429"]}; ` +
          `max retries ${maxRetries}, failed ${failed}, 429 waits ${waits} (shortest ${waits ? shortestWaitMs : 0} ms, early ${earlyAfter429})`,
      );
      return { figures, finished, notes: { counts, maxRetries, failed, waits, earlyAfter429, shortestWaitMs, exitCode } };
    } finally {
      worker?.kill("SIGKILL");
      await s.close();
    }
  } finally {
    await proxy.close();
  }
}
