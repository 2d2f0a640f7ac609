import type { Queue } from "bullmq";
import type { AppContext } from "../context";
import { tryWithAdvisoryLock } from "../db/advisoryLock";
import { deliveriesNeedingJobs, failMissedDeliveries, refreshPostStatus } from "../db/queries/deliveries";
import { logger } from "../logger";
import {
  addPostToQueue,
  addPostsToQueue,
  COMPLETED_POST_JOBS_KEPT_MS,
  getPostQueue,
  postJobId,
  removeOldCompletedPostJobs,
  removePostJob,
  type PostJobData,
} from "./postQueue";

const log = logger("reconciler");

/**
 * PostgreSQL is the source of truth; the queue only holds derived work. The reconciler
 * rebuilds that work from the database: every pending delivery gets its job back (after
 * Redis lost its data, or an enqueue failed), a delivery left `publishing` without a live
 * job is run again (publishing is idempotent), and deliveries too late to surprise anyone
 * with become failed "missed". Each pass also removes the completed jobs older than an hour.
 */

/** The advisory lock (db/advisoryLock.ts) that lets one reconciler at a time run, across every worker process. */
export const RECONCILE_LOCK_KEY = "reconciler";
// Deliveries read per query, and jobs per addBulk (one Redis MULTI: kept short so workers are not held up).
const BATCH = 5000;
const ADD_CHUNK = 1000;
const CHECK_CONCURRENCY = 25;
/** A `publishing` delivery untouched this long is checked (a live job renews nothing in our table, so keep it generous). */
const STUCK_AFTER_SECONDS = 60;

export interface ReconcileReport {
  /** False when another process held the lock (it does the work). */
  ran: boolean;
  enqueued: number;
  rerun: number;
  missed: number;
}

export interface ReconcileOptions {
  stuckAfterSeconds?: number;
  /** Completed jobs older than this are removed (COMPLETED_POST_JOBS_KEPT_MS). */
  completedJobsKeptMs?: number;
}

export async function reconcileOnce(ctx: AppContext, opts: ReconcileOptions = {}): Promise<ReconcileReport> {
  // One try: when another process holds the lock, it is doing this very work.
  const pass = await tryWithAdvisoryLock(ctx, RECONCILE_LOCK_KEY, () =>
    reconcile(ctx, opts.stuckAfterSeconds ?? STUCK_AFTER_SECONDS, opts.completedJobsKeptMs ?? COMPLETED_POST_JOBS_KEPT_MS),
  );
  return pass.acquired ? { ran: true, ...pass.value } : { ran: false, enqueued: 0, rerun: 0, missed: 0 };
}

/**
 * What the queue holds, read once per pass (ids only, a few calls on either backend) instead
 * of two round trips per delivery. States are read in the order jobs move through them
 * (delayed → waiting → active → finished), so a job moving on while we read is still seen
 * at least once; one seen nowhere is re-added, and adding an id that exists is a no-op.
 */
interface QueueSnapshot {
  delayed: Set<string>;
  live: Set<string>;
  finished: Set<string>;
}

async function snapshot(queue: Queue<PostJobData>): Promise<QueueSnapshot> {
  const delayed = new Set(await queue.getRanges(["delayed"], 0, -1));
  const live = new Set(await queue.getRanges(["waiting", "prioritized", "waiting-children"], 0, -1));
  for (const id of await queue.getRanges(["active"], 0, -1)) live.add(id);
  const finished = new Set(await queue.getRanges(["completed", "failed"], 0, -1));
  return { delayed, live, finished };
}

async function reconcile(ctx: AppContext, stuckAfterSeconds: number, completedJobsKeptMs: number) {
  const db = ctx.database.db;
  const missed = await failMissedDeliveries(db, ctx.config.missedPostAfterHours);
  for (const m of missed) {
    await removePostJob(ctx, m.id);
    await refreshPostStatus(db, m.postId);
  }

  type Page = Awaited<ReturnType<typeof deliveriesNeedingJobs>>;
  const page = (afterId?: string): Promise<Page> => {
    const p = deliveriesNeedingJobs(db, { stuckAfterSeconds, afterId, limit: BATCH });
    // Awaited later; a failure must not surface first as an unhandled rejection.
    p.catch(() => undefined);
    return p;
  };
  // The next page of deliveries is read while this one's jobs are checked and added.
  let next = page();
  const jobs = await snapshot(getPostQueue(ctx));
  // A delayed job firing later than its delivery (a reschedule whose queue update was lost)
  // only matters once the delivery is due, and a pass runs at least every interval: checking
  // the deliveries due within two intervals (at least an hour) fixes every such job in time
  // without reading every delayed job's timestamp on every pass.
  const lateCheckUntil = Date.now() + Math.max(2 * ctx.config.reconcileIntervalSeconds, 3600) * 1000;
  let enqueued = 0;
  let rerun = 0;
  for (;;) {
    const batch = await next;
    if (batch.length === 0) break;
    next = batch.length < BATCH ? Promise.resolve([]) : page(batch[batch.length - 1]?.id);
    const missing: Page = [];
    const check: Page = [];
    for (const d of batch) {
      const jobId = postJobId(d.id);
      if (jobs.live.has(jobId)) continue;
      if (jobs.delayed.has(jobId)) {
        if (d.status === "pending" && d.scheduledAt.getTime() <= lateCheckUntil) check.push(d);
      } else if (jobs.finished.has(jobId)) check.push(d);
      else missing.push(d);
    }
    for (let i = 0; i < missing.length; i += ADD_CHUNK) {
      await addPostsToQueue(ctx, missing.slice(i, i + ADD_CHUNK).map((d) => ({ deliveryId: d.id, scheduledAt: d.scheduledAt })));
    }
    for (const d of missing) {
      if (d.status === "pending") enqueued++;
      else rerun++;
    }
    // Stale finished jobs and near delayed ones: the careful per-job path (few of them).
    for (let i = 0; i < check.length; i += CHECK_CONCURRENCY) {
      const part = check.slice(i, i + CHECK_CONCURRENCY);
      const results = await Promise.all(part.map((d) => ensureJob(ctx, d.id, d.scheduledAt, d.status === "pending")));
      for (const [k, added] of results.entries()) {
        if (!added) continue;
        if (part[k]?.status === "pending") enqueued++;
        else rerun++;
      }
    }
  }
  if (enqueued + rerun + missed.length > 0) log.info({ enqueued, rerun, missed: missed.length }, "reconciled deliveries with the queue");
  // Last, so a slow clean-up never delays the deliveries' work above.
  const removed = await removeOldCompletedPostJobs(ctx, completedJobsKeptMs);
  if (removed > 0) log.info({ removed }, "removed completed post jobs older than the retention");
  return { enqueued, rerun, missed: missed.length };
}

/** Gives a delivery a live job unless it has one. Returns true when a job was (re)added. */
async function ensureJob(ctx: AppContext, deliveryId: string, scheduledAt: Date, pending: boolean): Promise<boolean> {
  const job = await getPostQueue(ctx).getJob(postJobId(deliveryId));
  if (job) {
    const state = await job.getState();
    if (pending && state === "delayed" && job.timestamp + (job.delay ?? 0) > scheduledAt.getTime() + 5_000) {
      // A reschedule whose queue update was lost: the job would fire late. (Early is harmless: it
      // re-delays itself.) Only for pending deliveries: a publishing one may be waiting out a rate limit.
      await job.changeDelay(Math.max(0, scheduledAt.getTime() - Date.now()));
      return true;
    }
    if (state === "active" || state === "waiting" || state === "delayed" || state === "prioritized" || state === "waiting-children") return false;
    // completed/failed/unknown while the row still says there is work: the job is stale.
    if (!(await removePostJob(ctx, deliveryId))) return false;
  }
  await addPostToQueue(ctx, { deliveryId }, scheduledAt);
  return true;
}

export interface Reconciler {
  /** Runs one pass now (waits for a running one first). */
  runNow(): Promise<ReconcileReport | undefined>;
  stop(): Promise<void>;
}

/** Runs at start and then every `config.reconcileIntervalSeconds`. */
export function startReconciler(ctx: AppContext): Reconciler {
  let running: Promise<ReconcileReport | undefined> = Promise.resolve(undefined);
  let stopped = false;
  const run = () => {
    running = running.then(() =>
      stopped
        ? undefined
        : reconcileOnce(ctx).catch((err: unknown) => {
            log.error({ err }, "reconcile pass failed; will try again next interval");
            return undefined;
          }),
    );
    return running;
  };
  void run();
  const timer = setInterval(() => void run(), ctx.config.reconcileIntervalSeconds * 1000);
  timer.unref();
  return {
    runNow: run,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
