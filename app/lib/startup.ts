import type { Queue } from "bullmq";
import { loadConfig } from "./config";
import { createAppContext, getAppContext, hasAppContext, setAppContext, type AppContext } from "./context";
import { loadOrCreateDataDirSecret } from "./crypto/dataDirSecret";
import { assertMigrated, SchemaBehindError } from "./lifecycle/schemaState";
import { runningInstanceUrl } from "./embedded/runtime";
import { initPostQueue } from "./queues/postQueue";
import { getTokenRefreshQueue, initTokenRefreshQueue, scheduleRegularTokenRefreshes } from "./queues/tokenRefreshQueue";
import { scheduleAuthPurge } from "./queues/setupScheduledJobs";
import { logger } from "./logger";
import { redisConnectionOptions } from "./queues/backend";
import { redisSettingWarnings } from "./queues/redisChecks";
import { withTimeout } from "./queues/queueCall";

/**
 * Application initialisation, shared by the web process (instrumentation.ts) and the
 * worker (scripts/worker.ts): validate config, assemble the context, create the queues.
 */
export function initApp(): AppContext {
  if (hasAppContext()) return getAppContext();
  const config = loadConfig();
  // Without DATABASE_URL, join the embedded database of a running `npm start` (and its secret).
  const databaseUrl = config.databaseUrl ?? runningInstanceUrl(config.dataDir);
  const secret = config.secret ?? (config.databaseUrl ? undefined : loadOrCreateDataDirSecret(config.dataDir));
  const ctx = createAppContext(config, { secret, databaseUrl });
  setAppContext(ctx);
  initPostQueue(ctx);
  initTokenRefreshQueue(ctx);
  // Idempotent (one scheduler however many processes start); a failure is logged and the
  // next start of any process tries again, so start-up never blocks on it.
  void scheduleRegularTokenRefreshes(ctx).catch((err: unknown) =>
    logger("startup").error({ err }, "could not set up the weekly token refresh schedule"),
  );
  void scheduleAuthPurge(ctx, getTokenRefreshQueue(ctx) as Queue).catch((err: unknown) =>
    logger("startup").error({ err }, "could not set up the hourly purge of expired sessions"),
  );
  if (ctx.queues.kind === "redis") {
    // On a Cluster, the first seed node stands for the others (operators configure them alike).
    const seed = config.queue.redis.clusterNodes[0];
    const checked = seed ? { ...redisConnectionOptions(config), ...seed } : redisConnectionOptions(config);
    void redisSettingWarnings(checked, { cluster: seed !== undefined }).then(
      (warnings) => warnings.forEach((w) => logger("startup").warn(w)),
      (err: unknown) => logger("startup").warn({ err }, "could not check the Redis settings"),
    );
  }
  return ctx;
}

const MIGRATION_CHECK_TIMEOUT_MS = 5000;

/**
 * Exits (code 1, one line saying what to run) when the database lacks some of this version's
 * migrations: otherwise the process would start and fail query after query. A database that
 * does not answer is no reason to exit: the process starts degraded (the health check says
 * so) and its queries retry.
 */
export async function exitIfDatabaseBehind(ctx: AppContext): Promise<void> {
  try {
    await withTimeout(assertMigrated(ctx.database), MIGRATION_CHECK_TIMEOUT_MS);
  } catch (err) {
    const log = logger("startup");
    if (!(err instanceof SchemaBehindError)) return void log.warn({ err }, "could not check the database's migrations");
    log.fatal(err.message); // pino flushes its buffer synchronously on exit
    process.exit(1);
  }
}
