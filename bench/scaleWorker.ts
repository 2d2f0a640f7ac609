import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Pool } from "pg";
import { getPostQueue, postJobId, removePostJob } from "@/app/lib/queues/postQueue";
import type { BenchContext } from "./harness";
import { sleep } from "./harness";

/**
 * A real worker process, started the way `npm run worker` and PM2 start it
 * (`node --import tsx scripts/worker.ts`: one process, so its pid is the worker's and
 * /proc/<pid>/status is its memory). It runs its start-up reconciler pass over every
 * pending delivery; we wait for that pass to end, then read VmRSS (now) and VmHWM (peak).
 */

const root = path.resolve(import.meta.dirname, "..");
// The reconciler's pg_try_advisory_lock(bigint) key: classid = high 32 bits, objid = low 32 bits.
const RECONCILE_LOCK_OBJID = 0x706d7263;

export interface WorkerMemory {
  rssMb: number;
  peakRssMb: number;
  /** From the first sight of the reconciler's lock to the end of the pass (0 if never seen: quicker than our polling). */
  passSeconds: number;
  startupSeconds: number;
}

function statusKb(pid: number, field: "VmRSS" | "VmHWM"): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const m = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]);
}

async function lockHeld(pool: Pool): Promise<boolean> {
  const { rows } = await pool.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 AND objid = $1 AND granted",
    [RECONCILE_LOCK_OBJID],
  );
  return (rows[0]?.n ?? 0) > 0;
}

/** `markerDeliveryId`: a pending delivery whose job is removed first, so the pass has one job to put back. */
export async function measureWorker(bc: BenchContext, redisPort: number | undefined, markerDeliveryId: string): Promise<WorkerMemory> {
  if (!(await removePostJob(bc.ctx, markerDeliveryId))) throw new Error("could not remove the marker job");
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: process.env.TMPDIR,
    NODE_ENV: "production",
    LOG_LEVEL: "warn",
    DATABASE_URL: bc.databaseUrl,
    POSTMORE_SECRET: randomBytes(32).toString("hex"),
    QUEUE_BACKEND: bc.queue.kind,
    ...(bc.queue.kind === "redis" ? { REDIS_HOST: "127.0.0.1", REDIS_PORT: String(redisPort), QUEUE_PREFIX: bc.queue.prefix } : {}),
  };
  const started = Date.now();
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/worker.ts"], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (d: Buffer) => void (output = (output + d.toString()).slice(-8000));
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const pid = child.pid!;
  const alive = () => child.exitCode === null && child.signalCode === null;
  try {
    const pool = bc.ctx.database.pool;
    const queue = getPostQueue(bc.ctx);
    // The pass has ended once the marker's job is back and the lock is free (a tiny pass may
    // start and end between two polls; the marker still shows it ran).
    let seenAt = 0;
    let passEnd = 0;
    while (alive()) {
      const held = await lockHeld(pool);
      if (held && !seenAt) seenAt = Date.now();
      if (!held && (await queue.getJob(postJobId(markerDeliveryId)))) {
        passEnd = Date.now();
        break;
      }
      if (Date.now() - started > 600_000) throw new Error("the worker's start-up reconcile pass did not end within 10 min");
      await sleep(20);
    }
    if (!alive()) throw new Error(`worker exited early:\n${output}`);
    // Let the pass's garbage go (the steady state is what a machine must hold).
    await sleep(2_000);
    return {
      rssMb: Math.round(statusKb(pid, "VmRSS") / 1024),
      peakRssMb: Math.round(statusKb(pid, "VmHWM") / 1024),
      passSeconds: seenAt ? Number(((passEnd - seenAt) / 1000).toFixed(2)) : 0,
      startupSeconds: Number((((seenAt || passEnd) - started) / 1000).toFixed(2)),
    };
  } finally {
    if (alive()) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    }
  }
}
