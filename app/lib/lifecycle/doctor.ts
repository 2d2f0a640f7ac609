import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { openCredentials } from "../accounts/publicAccount";
import type { Config } from "../config";
import { getPlatformService } from "../api/services/apiManager";
import type { PlatformName } from "../api/platform";
import { assembleAppContext, type AppContext } from "../context";
import { createSecretBox } from "../crypto/secretBox";
import { getWorkers } from "../dashboard/workers";
import { createDatabase } from "../db/client";
import { createQueueBackend, queueBackendSettings, redisConnectionOptions } from "../queues/backend";
import { getPostQueue } from "../queues/postQueue";
import { withTimeout } from "../queues/queueCall";
import { getTokenRefreshQueue } from "../queues/tokenRefreshQueue";
import { redisSettingWarnings } from "../queues/redisChecks";
import { appliedMigrations, compareSchema } from "./schemaState";

/**
 * `npm run cli -- doctor`: each check says in plain words what is wrong and what to do.
 * Every check runs even when an earlier one failed (a check that needs the database says it
 * could not run), so one pass shows everything to fix.
 */

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface DoctorInput {
  config: Config;
  databaseUrl: string;
  /** The credentials key in use (POSTMORE_SECRET or <dataDir>/secret.key); undefined when there is none. */
  secret: string | undefined;
  /** Where the key was looked for, for the message. */
  secretSource: string;
  /** Free space the data dir's disk must have. */
  minFreeBytes?: number;
  /** The clock compared with the database's (tests shift it). */
  now?: () => number;
}

export const DEFAULT_MIN_FREE_BYTES = 1024 ** 3;
/** Beyond this, posts go out visibly early or late and token expiry checks misjudge. */
export const MAX_CLOCK_SKEW_MS = 5_000;
const ANSWER_MS = 5_000;

const pass = (name: string, detail: string): Check => ({ name, ok: true, detail });
const failed = (name: string, detail: string): Check => ({ name, ok: false, detail });
const message = (err: unknown) => (err instanceof Error ? err.message || err.name : String(err));

async function checkDatabase(client: pg.ClientBase): Promise<Check> {
  const version = (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? "?";
  const s = compareSchema(await appliedMigrations(client));
  if (s.unknown > 0) {
    return failed("database", `reachable (PostgreSQL ${version}), but its schema is newer than this code (${s.unknown} migration(s) it does not know): run the PostMore version that wrote it, or upgrade.`);
  }
  if (s.missing > 0) {
    return failed("database", `reachable (PostgreSQL ${version}), but not migrated: ${s.known - s.missing} of ${s.known} migrations applied. Run \`npm run db:migrate\` (\`npm start\` does it).`);
  }
  return pass("database", `reachable (PostgreSQL ${version}), schema up to date (${s.applied} of ${s.known} migrations).`);
}

async function checkQueue(ctx: AppContext): Promise<Check> {
  try {
    await withTimeout(getPostQueue(ctx).getJobCounts("waiting"), ANSWER_MS);
  } catch (err) {
    const where = ctx.queues.kind === "redis" ? "Redis" : "PostgreSQL (BullMQ schema)";
    return failed("queue", `the queue store (${where}) does not answer: ${message(err)}. Check that it runs and the REDIS_* / QUEUE_BACKEND settings.`);
  }
  if (ctx.queues.kind === "postgres") return pass("queue", "BullMQ on PostgreSQL answers.");
  const warnings = await redisSettingWarnings(redisConnectionOptions(ctx.config));
  return warnings.length > 0 ? failed("queue", `Redis answers, but: ${warnings.join(" ")}`) : pass("queue", "Redis answers; eviction is off and persistence is on.");
}

async function checkKey(client: pg.ClientBase, input: DoctorInput): Promise<Check> {
  if (!input.secret) return failed("credentials key", `no credentials key: ${input.secretSource} is missing. Restore it from your backup; without it connected accounts cannot be used.`);
  const { rows } = await client.query<{ id: string; handle: string; credentials: string }>(
    "SELECT id, handle, credentials FROM social_accounts WHERE credentials <> '' LIMIT 1",
  );
  const row = rows[0];
  if (!row) return pass("credentials key", `present (${input.secretSource}); no connected account yet to try it on.`);
  try {
    openCredentials(createSecretBox(input.secret), row.credentials, row.id);
    return pass("credentials key", `present (${input.secretSource}) and opens the stored credentials of @${row.handle}.`);
  } catch {
    return failed("credentials key", `present (${input.secretSource}), but it does not open the stored credentials of @${row.handle}: this is not the key they were sealed with. Put the original key back (from your backup).`);
  }
}

async function checkWorker(ctx: AppContext): Promise<Check> {
  const w = await getWorkers(ctx);
  return w.alive
    ? pass("worker", `running (${w.queues.posts ?? 0} post worker(s) connected).`)
    : failed("worker", "no worker is connected to the post queue: scheduled posts will wait. Start PostMore with `npm start` (or `npm run worker`).");
}

async function checkClock(client: pg.ClientBase, now: () => number): Promise<Check> {
  const before = now();
  const { rows } = await client.query<{ ms: string }>("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::text AS ms");
  const after = now();
  const skew = Number(rows[0]?.ms) - (before + after) / 2;
  const seconds = (Math.abs(skew) / 1000).toFixed(1);
  if (Math.abs(skew) > MAX_CLOCK_SKEW_MS) {
    return failed("clock", `this machine's clock is ${seconds} s ${skew > 0 ? "behind" : "ahead of"} the database's: posts would go out at the wrong time. Turn on time sync (NTP, e.g. systemd-timesyncd or chrony) on both.`);
  }
  return pass("clock", `agrees with the database (${seconds} s apart).`);
}

async function checkAccounts(client: pg.ClientBase, ctx: AppContext, timeoutMs: number): Promise<Check[]> {
  const { rows } = await client.query<{ platform: PlatformName; instance_url: string; handles: string[] }>(
    `SELECT platform, instance_url, array_agg(handle ORDER BY handle) AS handles FROM social_accounts
     WHERE status <> 'disabled' GROUP BY platform, instance_url ORDER BY platform, instance_url`,
  );
  if (rows.length === 0) return [pass("accounts", "no connected accounts to check.")];
  return Promise.all(
    rows.map(async ({ platform, instance_url: url, handles }) => {
      const who = handles.map((h) => (h.startsWith("@") ? h : `@${h}`)).join(", ");
      const { label, path: checkPath } = getPlatformService(ctx, platform).instanceCheck;
      const name = `${label} ${url}`;
      try {
        // Through the guarded outbound layer, as publishing does: an instance it refuses is reported here too.
        const res = await ctx.outbound.fetch(new URL(checkPath, url).href, { timeoutMs });
        await res.body?.cancel();
        if (res.ok) return pass(name, `reachable (for ${who}).`);
        return failed(name, `answers ${res.status} to a health check: posts of ${who} may fail. Check the server's status.`);
      } catch (err) {
        return failed(name, `unreachable (${message(err)}): posts of ${who} will fail until it answers. Check this machine's network and the server.`);
      }
    }),
  );
}

function checkDisk(dataDir: string, minFree: number): Check {
  let dir = path.resolve(dataDir);
  while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  const s = fs.statfsSync(dir);
  const free = s.bavail * s.bsize;
  const gb = (b: number) => `${(b / 1024 ** 3).toFixed(1)} GB`;
  return free < minFree
    ? failed("disk", `only ${gb(free)} free on the disk of ${dir} (want at least ${gb(minFree)}): PostgreSQL stops accepting writes when it fills up. Free some space or delete old backups.`)
    : pass("disk", `${gb(free)} free on the disk of ${dir}.`);
}

/** A check that throws (a store dropping mid-check) fails with the error in words instead of ending the doctor. */
const safe = (name: string, check: () => Promise<Check>): Promise<Check> => check().catch((err: unknown) => failed(name, `could not be checked: ${message(err)}.`));

const notRun = (names: string[], why: string) => names.map((n) => failed(n, `not checked: ${why}.`));

export async function runDoctor(input: DoctorInput): Promise<Check[]> {
  const { config } = input;
  const checks: Check[] = [];
  const client = new pg.Client({ connectionString: input.databaseUrl, connectionTimeoutMillis: ANSWER_MS });
  let connected = false;
  try {
    await client.connect();
    connected = true;
  } catch (err) {
    checks.push(failed("database", `unreachable (${message(err)}). Is PostgreSQL running, and is DATABASE_URL right? (With the embedded database, start PostMore with \`npm start\`.)`));
  }
  const database = createDatabase(input.databaseUrl, { max: 2 });
  const ctx = assembleAppContext({
    config,
    database,
    queues: createQueueBackend(queueBackendSettings(config, input.databaseUrl)),
    // The doctor seals nothing; the context only needs a box to be whole.
    box: createSecretBox(input.secret ?? randomBytes(32).toString("hex")),
  });
  try {
    if (connected) {
      checks.push(await safe("database", () => checkDatabase(client)));
      checks.push(await safe("queue", () => checkQueue(ctx)));
      checks.push(await safe("credentials key", () => checkKey(client, input)));
      checks.push(await safe("worker", () => checkWorker(ctx)));
      checks.push(await safe("clock", () => checkClock(client, input.now ?? Date.now)));
      checks.push(...(await checkAccounts(client, ctx, Math.min(config.atproto.timeoutMs, ANSWER_MS)).catch((err: unknown) => [failed("accounts", message(err))])));
    } else {
      checks.push(await safe("queue", () => checkQueue(ctx)));
      checks.push(...notRun(["credentials key", "worker", "clock", "accounts"], "the database is unreachable"));
    }
    checks.push(checkDisk(config.dataDir, input.minFreeBytes ?? DEFAULT_MIN_FREE_BYTES));
  } finally {
    // Bounded: a queue that never reached its store can take long to close.
    await withTimeout(Promise.all([getPostQueue(ctx).close(), getTokenRefreshQueue(ctx).close()]), ANSWER_MS).catch(() => undefined);
    await database.close().catch(() => undefined);
    await ctx.outbound.close().catch(() => undefined);
    await client.end().catch(() => undefined);
  }
  return checks;
}

export function formatChecks(checks: Check[]): string {
  const lines = checks.map((c) => `${c.ok ? "[ok]  " : "[FAIL]"} ${c.name}: ${c.detail}`);
  const bad = checks.filter((c) => !c.ok).length;
  lines.push(bad === 0 ? "\nAll checks passed." : `\n${bad} check(s) failed.`);
  return lines.join("\n");
}
