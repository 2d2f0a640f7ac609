import { collectDefaultMetrics, Registry } from "prom-client";
import type { AppContext } from "../context";
import { getPostQueue, POST_QUEUE } from "../queues/postQueue";
import { queueCall } from "../queues/queueCall";
import { getTokenRefreshQueue, TOKEN_REFRESH_QUEUE } from "../queues/tokenRefreshQueue";
import { accountCounts, deliveryCounts, LATENESS_BUCKETS_SECONDS, latenessHistogram } from "./queries";

/**
 * Prometheus exposition for /api/metrics. Business numbers are read from PostgreSQL (the
 * source of truth, shared by every process) and BullMQ at scrape time, so any web process
 * answers for the whole installation; process metrics are this process's own.
 */
const JOB_STATES = ["waiting", "delayed", "active", "completed", "failed", "prioritized", "waiting-children"] as const;

let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, prefix: "postmore_" });
  }
  return processRegistry;
}

const esc = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
const labels = (l: Record<string, string>) =>
  `{${Object.entries(l)
    .map(([k, v]) => `${k}="${esc(v)}"`)
    .join(",")}}`;

function family(name: string, type: string, help: string, samples: Array<[Record<string, string>, number]>): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  for (const [l, v] of samples) lines.push(`${name}${Object.keys(l).length ? labels(l) : ""} ${v}`);
  return lines.join("\n");
}

export async function renderMetrics(ctx: AppContext): Promise<string> {
  const db = ctx.database.db;
  const queues = [
    [POST_QUEUE, getPostQueue(ctx)],
    [TOKEN_REFRESH_QUEUE, getTokenRefreshQueue(ctx)],
  ] as const;
  const [counts, deliveries, lateness, accounts, proc] = await Promise.all([
    queueCall("reading the queues", () =>
      Promise.all(queues.map(async ([name, q]) => [name, await q.getJobCounts(...JOB_STATES)] as const)),
    ),
    deliveryCounts(db),
    latenessHistogram(db),
    accountCounts(db),
    processMetrics().metrics(),
  ]);

  const queueSamples: Array<[Record<string, string>, number]> = counts.flatMap(([queue, c]) =>
    JOB_STATES.map((state) => [{ queue, state }, c[state] ?? 0] as [Record<string, string>, number]),
  );
  const latenessLines = [
    "# HELP postmore_publish_lateness_seconds Time from a delivery's scheduled time to its publication.",
    "# TYPE postmore_publish_lateness_seconds histogram",
    ...LATENESS_BUCKETS_SECONDS.map(
      (le, i) => `postmore_publish_lateness_seconds_bucket{le="${le}"} ${lateness.buckets[i] ?? 0}`,
    ),
    `postmore_publish_lateness_seconds_bucket{le="+Inf"} ${lateness.count}`,
    `postmore_publish_lateness_seconds_sum ${lateness.sum}`,
    `postmore_publish_lateness_seconds_count ${lateness.count}`,
  ].join("\n");

  return [
    family("postmore_queue_jobs", "gauge", "BullMQ jobs per queue and state (completed/failed are the retained history).", queueSamples),
    family(
      "postmore_deliveries",
      "gauge",
      "Deliveries per platform and status (published and failed are the delivery outcomes).",
      deliveries.map((d) => [{ platform: d.platform, status: d.status }, d.n]),
    ),
    latenessLines,
    family(
      "postmore_accounts",
      "gauge",
      "Connected accounts per platform and status (needs_reauth: a person must reconnect).",
      accounts.map((a) => [{ platform: a.platform, status: a.status }, a.n]),
    ),
    family(
      "postmore_accounts_with_refresh_error",
      "gauge",
      "Accounts whose last token refresh or publish left an error.",
      accounts.map((a) => [{ platform: a.platform, status: a.status }, a.withError]),
    ),
    proc.trimEnd(),
  ].join("\n\n") + "\n";
}
