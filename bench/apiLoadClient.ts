import { createRequire } from "node:module";

/**
 * The load generator of bench/apiLoad.ts, run as its own process (so it does not share a
 * CPU-bound event loop with the bench or the server). Argument: a JSON `ClientJob` (a probe
 * by duration, then a measured run of a fixed count sized from the probe's rate). Prints one
 * JSON `{ probe, run, amount }` line of `ClientResult`s. Each request carries a unique text, `${tag} ${n}`, so the
 * bench can tell every stored post apart; the body is built per request (autocannon's own
 * `[<id>]` replacement guesses the Content-Length and breaks with a fixed request count).
 */

export interface ClientJob {
  url: string;
  token: string;
  accountIds: string[];
  scheduledAt: string;
  connections: number;
  /** Warm-up and rate probe (texts tagged `probe-c<connections>`), stopped after this long. */
  probeSeconds: number;
  /** The measured run (texts tagged `run-c<connections>`) sends about this many seconds of requests. */
  seconds: number;
}

interface Phase {
  tag: string;
  amount?: number;
  seconds?: number;
}

export interface ClientResult {
  sent: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  seconds: number;
  latencyMs: { p50: number; p99: number; max: number; mean: number };
}

interface AutocannonResult {
  errors: number;
  timeouts: number;
  non2xx: number;
  "2xx": number;
  latency: { p50: number; p99: number; max: number; mean: number };
}
interface Instance {
  on(event: "response", listener: () => void): void;
}
type Autocannon = (opts: Record<string, unknown>, done: (err: Error | null, result: AutocannonResult) => void) => Instance;

// autocannon ships no types; this is the one call we make.
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

function phase(job: ClientJob, p: Phase): Promise<ClientResult> {
  let sent = 0;
  const started = performance.now();
  let lastResponse = started;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: job.url,
        connections: job.connections,
        ...(p.amount ? { amount: p.amount } : { duration: p.seconds ?? 1 }),
        timeout: 10,
        method: "POST",
        headers: { authorization: `Bearer ${job.token}`, "content-type": "application/json" },
        requests: [
          {
            setupRequest: (req: Record<string, unknown>) => {
              sent++;
              return { ...req, body: JSON.stringify({ text: `${p.tag} ${sent}`, accountIds: job.accountIds, scheduledAt: job.scheduledAt }) };
            },
          },
        ],
      },
      (err, r) => {
        if (err) return reject(err);
        const { p50, p99, max, mean } = r.latency;
        resolve({
          sent,
          ok: r["2xx"],
          non2xx: r.non2xx,
          errors: r.errors,
          timeouts: r.timeouts,
          // autocannon's own duration is rounded up to its 1 s sampling tick.
          seconds: (lastResponse - started) / 1000,
          latencyMs: { p50, p99, max, mean },
        });
      },
    );
    instance.on("response", () => void (lastResponse = performance.now()));
  });
}

async function run(job: ClientJob) {
  const probe = await phase(job, { tag: `probe-c${job.connections}`, seconds: job.probeSeconds });
  const amount = Math.max(job.connections * 5, Math.round((probe.ok / probe.seconds) * job.seconds));
  return { probe, amount, run: await phase(job, { tag: `run-c${job.connections}`, amount }) };
}

run(JSON.parse(process.argv[2] ?? "{}") as ClientJob).then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  },
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
