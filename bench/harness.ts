import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import type { RedisMemoryServer } from "redis-memory-server";
import { createUser } from "@/app/lib/auth/users";
import { loadConfig, type QueueBackendKind } from "@/app/lib/config";
import { createAppContext, setAppContext, type AppContext } from "@/app/lib/context";
import type { QueueBackendSettings } from "@/app/lib/queues/backend";
import { startTestPostgres, type RunningPostgres } from "@/test/helpers/embeddedPg";
import { startTestRedis } from "@/test/helpers/redis";
import { cpuMeter } from "./cpuMeter";
import { freshDatabase } from "./database";

/**
 * What every benchmark shares: the services it runs against, an AppContext per queue
 * backend, percentiles, and the result each one hands back to `bench/run.ts`.
 */

export interface BenchArgs {
  /** Tiny sizes that only prove the benchmark still works (the test suite runs this). */
  smoke: boolean;
  /** Raw `--key value` options from the command line. */
  options: Map<string, string>;
}

/** One line of the summary table (and of docs/BENCHMARKS.md). */
export interface Figure {
  metric: string;
  value: number;
  unit: string;
  /** e.g. "≥ 0.5"; absent for figures that are context (raw throughput). */
  target?: string;
  met?: boolean;
}

export interface BenchResult {
  figures: Figure[];
  /** Everything else worth keeping in the JSON file. */
  details: Record<string, unknown>;
}

export type Bench = (args: BenchArgs) => Promise<BenchResult>;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** `--n 500` (or the smoke/default size). */
export function sizeArg(args: BenchArgs, name: string, full: number, smoke: number): number {
  const raw = args.options.get(name);
  return raw ? Number(raw) : args.smoke ? smoke : full;
}

export function backendsArg(args: BenchArgs): QueueBackendKind[] {
  return (args.options.get("backend")?.split(",") ?? ["redis", "postgres"]) as QueueBackendKind[];
}

export interface Percentiles {
  p50: number;
  p99: number;
  max: number;
}

export function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
  return { p50: Math.round(at(50)), p99: Math.round(at(99)), max: Math.round(sorted[sorted.length - 1] ?? 0) };
}

export const ratio = (a: number, b: number) => Number((a / b).toFixed(3));

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : Number(((sorted[mid - 1]! + sorted[mid]!) / 2).toFixed(3));
}

export const figure = (metric: string, value: number, unit: string, target?: { text: string; met: boolean }): Figure => ({
  metric,
  value,
  unit,
  ...(target ? { target: target.text, met: target.met } : {}),
});

/**
 * PostgreSQL settings profiles. `fsync-off` is the test suite's; `durable` is what `npm start`
 * runs (PostgreSQL's defaults: every commit waits for its WAL flush); `async-commit` keeps
 * fsync but lets commits return before the flush (a crash can lose the last few hundred ms of
 * commits; the database stays consistent).
 */
export const PG_PROFILES = {
  "fsync-off": ["fsync=off"],
  durable: [],
  "async-commit": ["synchronous_commit=off"],
} as const satisfies Record<string, string[]>;
export type PgProfile = keyof typeof PG_PROFILES;

export interface BenchServices {
  postgres: RunningPostgres;
  redis?: RedisMemoryServer;
  close(): Promise<void>;
}

/** `--pg-stats`: PostgreSQL records every statement's plan and execution time (pg_stat_statements). */
const PG_STATS_SETTINGS = ["shared_preload_libraries=pg_stat_statements", "pg_stat_statements.track_planning=on"];

export async function startBenchServices(opts: { redis: boolean; pg?: PgProfile; pgStats?: boolean }): Promise<BenchServices> {
  const settings = [...PG_PROFILES[opts.pg ?? "fsync-off"], ...(opts.pgStats ? PG_STATS_SETTINGS : [])];
  const postgres = await startTestPostgres({ settings });
  const redis = opts.redis ? await startTestRedis() : undefined;
  return {
    postgres,
    redis,
    async close() {
      await redis?.stop();
      await postgres.close();
    },
  };
}

export interface BenchContext {
  ctx: AppContext;
  databaseUrl: string;
  queue: QueueBackendSettings;
  close(): Promise<void>;
}

/**
 * A fresh, migrated database and an AppContext on `kind` (its own Redis prefix), set as the
 * process's context. `env` adds config variables (concurrency, …). Logs at warn: per-job info
 * logging would be measured too.
 */
export async function benchContext(services: BenchServices, kind: QueueBackendKind, env: Record<string, string> = {}): Promise<BenchContext> {
  const databaseUrl = await freshDatabase(services.postgres);
  const queue: QueueBackendSettings =
    kind === "redis"
      ? {
          kind,
          redis: { host: "127.0.0.1", port: await services.redis!.getPort(), maxRetriesPerRequest: null },
          prefix: `{bench${randomBytes(3).toString("hex")}}`,
        }
      : { kind, postgres: { connectionString: databaseUrl, schema: "bullmq" } };
  const config = loadConfig({ NODE_ENV: "production", LOG_LEVEL: "warn", QUEUE_BACKEND: kind, ...env });
  const ctx = createAppContext(config, { databaseUrl, secret: randomBytes(32).toString("hex"), queue });
  setAppContext(ctx);
  return {
    ctx,
    databaseUrl,
    queue,
    async close() {
      await ctx.database.close();
      setAppContext(undefined);
    },
  };
}

export function benchUser(ctx: AppContext) {
  return createUser(ctx.database.db, { email: `bench-${randomBytes(4).toString("hex")}@example.test`, password: "bench password 123", role: "user" });
}

export function machine() {
  return { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? "?", node: process.version, loadAverage: Number(os.loadavg()[0]!.toFixed(1)) };
}

export const RESULTS_DIR = path.join(import.meta.dirname, "results");

export function writeJson(name: string, data: unknown): string {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  fs.writeFileSync(file, JSON.stringify(data, null, 2));
  return file;
}

/**
 * `--profile`: a V8 CPU profile of just the measured phase (not start-up or data loading),
 * written next to the results; open it in Chrome DevTools or summarise it with a script.
 */
export async function profilePhase<T>(args: BenchArgs, label: string, work: () => Promise<T>): Promise<T> {
  if (!args.options.has("profile")) return work();
  const { Session } = await import("node:inspector/promises");
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  try {
    return await work();
  } finally {
    const { profile } = await session.post("Profiler.stop");
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    const file = path.join(RESULTS_DIR, `${label.replace(/[^a-z0-9]+/gi, "-")}-${Date.now()}.cpuprofile`);
    fs.writeFileSync(file, JSON.stringify(profile));
    console.log(`cpu profile: ${path.relative(process.cwd(), file)}`);
    session.disconnect();
  }
}

/**
 * The statements that cost PostgreSQL the most since the last reset (needs `--pg-stats`).
 * `nested` (at reset) also records the statements inside functions, such as those of BullMQ's
 * PostgreSQL backend (`--pg-stats=nested`).
 */
export async function topStatements(ctx: AppContext, opts: { reset?: boolean; nested?: boolean } = {}): Promise<string[]> {
  const pool = ctx.database.pool;
  await pool.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
  if (opts.reset) {
    await pool.query(`ALTER SYSTEM SET pg_stat_statements.track = '${opts.nested ? "all" : "top"}'`);
    await pool.query("SELECT pg_reload_conf()");
    await pool.query("SELECT pg_stat_statements_reset()");
    return [];
  }
  const { rows } = await pool.query<{ calls: string; plan_ms: number; exec_ms: number; query: string }>(
    `SELECT calls, round(total_plan_time::numeric, 1)::float AS plan_ms, round(total_exec_time::numeric, 1)::float AS exec_ms,
            left(regexp_replace(query, '\\s+', ' ', 'g'), 120) AS query
     FROM pg_stat_statements ORDER BY total_plan_time + total_exec_time DESC LIMIT 10`,
  );
  return rows.map((r) => `${r.calls} calls, plan ${r.plan_ms} ms, exec ${r.exec_ms} ms: ${r.query}`);
}

/**
 * Vacuums, analyzes and checkpoints the context's database between phases: no phase pays for
 * the dead rows and dirty pages of the one before it (an autovacuum landing inside one phase
 * moved its CPU per post by a fifth from run to run), and the planner has statistics, as any
 * install has them after its first minutes. In a database seconds old, BullMQ's retention
 * DELETE inside move_to_completed gets a generic plan that reads every completed job of the
 * queue (0.45 against 0.14 ms a call).
 */
export async function settlePostgres(ctx: AppContext): Promise<void> {
  await ctx.database.db.execute(sql`VACUUM (ANALYZE)`);
  await ctx.database.db.execute(sql`CHECKPOINT`);
}

/** CPU of this process, the services' PostgreSQL and (when running) Redis from now on; see cpuMeter.ts. */
export async function benchCpuMeter(services: BenchServices) {
  return cpuMeter({ postgresDir: services.postgres.dir, redisPort: services.redis ? await services.redis.getPort() : undefined });
}
