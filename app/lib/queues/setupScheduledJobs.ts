import type { Job, JobSchedulerJson, JobSchedulerTemplateOptions, Queue } from "bullmq";
import { withAdvisoryLock } from "../db/advisoryLock";
import type { Config } from "../config";
import type { AppContext } from "../context";
import { logger } from "../logger";

/**
 * The recurring jobs, as BullMQ job schedulers (BullMQ 6 has no `repeat`). Upserting a
 * scheduler with the same id and options is idempotent, so every web and worker process
 * calls this at start and there is still one scheduler and one pending run.
 *
 * A scheduler with `limit` stops after that many runs but stays stored, with its
 * iteration count at the limit; upserting it again does not reset the count. So a spent
 * schedule is removed and created afresh, which starts the next `limit` runs. That happens
 * when the last run is processed (renewJobSchedulerIfSpent) and, in case that run never
 * got processed, at the next start.
 */

const log = logger("scheduled-jobs");

export const WEEKLY_TOKEN_REFRESH_ID = "weekly-token-refresh";
export const WEEKLY_TOKEN_REFRESH_PATTERN = "0 0 * * 0";
export const WEEKLY_TOKEN_REFRESH_LIMIT = 52;

/** A cron pattern (with time zone) or a fixed interval, and how many runs before renewal. */
export type RecurringSpec = { pattern: string; tz?: string; limit: number } | { every: number; limit: number };

export interface JobTemplate<D> {
  name: string;
  data: D;
  opts?: JobSchedulerTemplateOptions;
}

/** Sunday 00:00 in the configured time zone, 52 times (a year), then renewed. */
export function weeklyTokenRefreshSpec(config: Config): RecurringSpec {
  return { pattern: WEEKLY_TOKEN_REFRESH_PATTERN, tz: config.tokenRefreshTimeZone, limit: WEEKLY_TOKEN_REFRESH_LIMIT };
}

function isSpent(s: JobSchedulerJson, now: number): boolean {
  // At the limit and its last run already due: nothing more will be created.
  return s.limit !== undefined && (s.iterationCount ?? 0) >= s.limit && (s.next ?? 0) <= now;
}

function specOf(s: JobSchedulerJson): RecurringSpec | undefined {
  const limit = s.limit ?? WEEKLY_TOKEN_REFRESH_LIMIT;
  if (s.pattern) return { pattern: s.pattern, tz: s.tz, limit };
  if (s.every) return { every: s.every, limit };
  return undefined;
}

// Scheduler maintenance is serialised across processes (remove + upsert is two steps).
const schedulerLock = <T>(ctx: AppContext, id: string, fn: () => Promise<T>) => withAdvisoryLock(ctx, `scheduler-${id}`, fn);

/**
 * Creates the scheduler, or leaves it as it is when it already exists with these
 * options; a spent one is renewed. Returns the stored scheduler.
 */
export async function ensureJobScheduler(
  ctx: AppContext,
  queue: Queue,
  id: string,
  spec: RecurringSpec,
  template: JobTemplate<unknown>,
): Promise<JobSchedulerJson | undefined> {
  return schedulerLock(ctx, id, async () => {
    const existing = await queue.getJobScheduler(id);
    if (existing && isSpent(existing, Date.now())) {
      log.info({ schedulerId: id, runs: existing.iterationCount }, "schedule spent: starting the next one");
      await queue.removeJobScheduler(id);
    }
    await queue.upsertJobScheduler(id, spec, template);
    return queue.getJobScheduler(id);
  });
}

/**
 * Called by the job a scheduler produced: on its last run (count = limit), replaces the
 * spent scheduler by a fresh one with the same options and template. Idempotent: a retry
 * of that run finds a fresh scheduler and leaves it alone. Returns true when it renewed.
 */
export async function renewJobSchedulerIfSpent(
  ctx: AppContext,
  queue: Queue,
  job: Pick<Job, "repeatJobKey" | "opts">,
): Promise<boolean> {
  const id = job.repeatJobKey;
  // A scheduler's job carries its iteration number and the limit (not in BullMQ's JobsOptions type).
  const repeat = (job.opts as { repeat?: { count?: number; limit?: number } }).repeat;
  const count = repeat?.count;
  const limit = repeat?.limit;
  if (!id || count === undefined || limit === undefined || count < limit) return false;
  return schedulerLock(ctx, id, async () => {
    const current = await queue.getJobScheduler(id);
    if (current && (current.iterationCount ?? 0) < (current.limit ?? Infinity)) return false;
    const spec = current ? specOf(current) : undefined;
    if (!current || !spec) {
      log.warn({ schedulerId: id }, "spent scheduler not found; the next start recreates it");
      return false;
    }
    await queue.removeJobScheduler(id);
    await queue.upsertJobScheduler(id, spec, {
      name: current.name,
      data: current.template?.data,
      opts: current.template?.opts,
    });
    log.info({ schedulerId: id, limit: spec.limit }, "last run of the schedule: started the next one");
    return true;
  });
}

/** Hourly removal of expired sessions, dead API tokens and spent throttle counters (auth/purge.ts). */
export const AUTH_PURGE_ID = "purge-expired-auth";
export const AUTH_PURGE_JOB = "purge-expired-auth";

export async function scheduleAuthPurge(ctx: AppContext, queue: Queue): Promise<JobSchedulerJson | undefined> {
  return ensureJobScheduler(ctx, queue, AUTH_PURGE_ID, { pattern: "17 * * * *", tz: "UTC", limit: 24 * 365 }, {
    name: AUTH_PURGE_JOB,
    data: {},
    opts: { attempts: 3, backoff: { type: "exponential", delay: 60_000 }, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
  });
}
