import type { Job, JobsOptions, Processor, Queue } from "bullmq";
import { ZodError, z } from "zod";
import type { PlatformName } from "../api/platform";
import { listPlatformServices } from "../api/services/apiManager";
import { refreshAccountSessionWithOutcome, type RefreshOutcome } from "../accounts/refresh";
import type { AppContext } from "../context";
import { listActiveAccountIds } from "../db/queries/accountRefresh";
import { AppError } from "../errors";
import { logger } from "../logger";
import { classifyFailure, unrecoverable, waitForRateLimit } from "./jobErrors";
import { purgeExpiredAuth } from "../auth/purge";
import {
  AUTH_PURGE_JOB,
  WEEKLY_TOKEN_REFRESH_ID,
  ensureJobScheduler,
  renewJobSchedulerIfSpent,
  weeklyTokenRefreshSpec,
  type RecurringSpec,
} from "./setupScheduledJobs";

/**
 * The seed's token refresh queue. Two kinds of job, both holding ids only:
 *   refresh-all-tokens      fans out one refresh-account-tokens job per active account of each
 *                           platform whose tokens expire (Bluesky; not Mastodon)
 *   refresh-account-tokens  refreshes one account (under the account lock, see accounts/refresh.ts)
 * Both are de-duplicated while one is waiting or running, so a storm of requests (admins
 * clicking, the weekly run overlapping a manual one) queues one job per account, not a storm.
 */

const log = logger("token-refresh-queue");

export const TOKEN_REFRESH_QUEUE = "token-refresh";
export const REFRESH_ALL_JOB = "refresh-all-tokens";
export const REFRESH_ACCOUNT_JOB = "refresh-account-tokens";

export const refreshAllJobDataSchema = z.object({ trigger: z.enum(["schedule", "admin"]).optional() });
export const refreshAccountJobDataSchema = z.object({ accountId: z.uuid() });
export type RefreshAllJobData = z.infer<typeof refreshAllJobDataSchema>;
export type RefreshAccountJobData = z.infer<typeof refreshAccountJobDataSchema>;
export type TokenRefreshJobData = RefreshAllJobData | RefreshAccountJobData;

export interface TokenRefreshQueueOptions {
  /** First retry delay; doubles per attempt (with jitter). Tests shorten it. */
  retryDelayMs?: number;
}

/** What a processor needs from the BullMQ job besides its data. */
export type JobMeta = Pick<Job, "timestamp" | "repeatJobKey" | "opts">;

const FAN_OUT_PAGE = 1000;
// BullMQ job and de-duplication ids must not contain ':'; uuids never do.
const ALL_DEDUP_ID = "refresh-all";
const accountDedupId = (accountId: string) => `refresh-${accountId}`;

/** Opens the context's token refresh queue (once) and sets its retry delay. */
export function initTokenRefreshQueue(ctx: AppContext, opts: TokenRefreshQueueOptions = {}): Queue<TokenRefreshJobData> {
  const open = ctx.openQueues.tokenRefresh;
  const retryDelayMs = opts.retryDelayMs ?? open?.retryDelayMs ?? 10_000;
  const queue = open?.queue ?? ctx.queues.createQueue<TokenRefreshJobData>(TOKEN_REFRESH_QUEUE);
  ctx.openQueues.tokenRefresh = { queue, retryDelayMs };
  return queue;
}

export function getTokenRefreshQueue(ctx: AppContext): Queue<TokenRefreshJobData> {
  return ctx.openQueues.tokenRefresh?.queue ?? initTokenRefreshQueue(ctx);
}

/** "Retried 3 times": four attempts, exponential backoff with jitter; failures kept for debugging. */
function retryOptions(ctx: AppContext): JobsOptions {
  return {
    attempts: 4,
    backoff: { type: "exponential", delay: ctx.openQueues.tokenRefresh?.retryDelayMs ?? 10_000, jitter: 0.5 },
    removeOnComplete: { count: 1000 },
    removeOnFail: { count: 1000 },
  };
}

/** The weekly refresh-all schedule; idempotent, so every process calls it at start. */
export async function scheduleRegularTokenRefreshes(
  ctx: AppContext,
  spec: RecurringSpec = weeklyTokenRefreshSpec(ctx.config),
) {
  const queue = getTokenRefreshQueue(ctx);
  const { attempts, backoff, removeOnComplete, removeOnFail } = retryOptions(ctx);
  const scheduler = await ensureJobScheduler(ctx, queue as Queue, WEEKLY_TOKEN_REFRESH_ID, spec, {
    name: REFRESH_ALL_JOB,
    data: { trigger: "schedule" } satisfies RefreshAllJobData,
    opts: { attempts, backoff, removeOnComplete, removeOnFail },
  });
  log.info({ schedulerId: WEEKLY_TOKEN_REFRESH_ID, next: scheduler?.next ? new Date(scheduler.next) : null }, "token refresh scheduled");
  return scheduler;
}

/** Queues a refresh of every active Bluesky account. Returns the (possibly already waiting) job's id. */
export async function refreshAllBlueskyTokens(ctx: AppContext): Promise<{ jobId: string }> {
  const job = await getTokenRefreshQueue(ctx).add(REFRESH_ALL_JOB, { trigger: "admin" } satisfies RefreshAllJobData, {
    ...retryOptions(ctx),
    deduplication: { id: ALL_DEDUP_ID },
  });
  return { jobId: String(job.id) };
}

/**
 * Asking for one account's refresh again within this long after a request returns that same
 * job, even once it finished: a storm of requests spread over a few seconds (clicks, several
 * web processes) rotates the tokens once, not once per request that arrived after the last job.
 */
export const ACCOUNT_REFRESH_DEDUP_MS = 30_000;

/** Queues a refresh of one account. Returns the (possibly already waiting, or just finished) job's id. */
export async function refreshAccountTokens(ctx: AppContext, accountId: string): Promise<{ jobId: string }> {
  const data = refreshAccountJobDataSchema.parse({ accountId });
  const job = await getTokenRefreshQueue(ctx).add(REFRESH_ACCOUNT_JOB, data, {
    ...retryOptions(ctx),
    deduplication: { id: accountDedupId(accountId), ttl: ACCOUNT_REFRESH_DEDUP_MS },
  });
  return { jobId: String(job.id) };
}

/**
 * One job per active Bluesky account, added a page at a time. Accounts that already have
 * a refresh waiting or running are de-duplicated by BullMQ. On the last run of the weekly
 * schedule, starts the next 52 runs first.
 */
export async function processRefreshAllTokensJob(
  ctx: AppContext,
  jobData: unknown,
  job?: JobMeta,
): Promise<{ enqueued: number; renewedSchedule: boolean }> {
  refreshAllJobDataSchema.parse(jobData);
  const queue = getTokenRefreshQueue(ctx);
  const renewedSchedule = job ? await renewJobSchedulerIfSpent(ctx, queue as Queue, job) : false;
  let enqueued = 0;
  // Only platforms whose tokens expire have anything to refresh.
  for (const { platform, descriptor } of listPlatformServices(ctx)) {
    if (descriptor.auth.tokensExpire) enqueued += await fanOut(ctx, queue, platform);
  }
  log.info({ enqueued, renewedSchedule }, "queued a token refresh per active account");
  return { enqueued, renewedSchedule };
}

async function fanOut(ctx: AppContext, queue: Queue<TokenRefreshJobData>, platform: PlatformName): Promise<number> {
  const opts = retryOptions(ctx);
  let enqueued = 0;
  let after: string | undefined;
  for (;;) {
    const ids = await listActiveAccountIds(ctx.database.db, platform, { after, limit: FAN_OUT_PAGE });
    if (ids.length === 0) break;
    await queue.addBulk(
      ids.map((accountId) => ({
        name: REFRESH_ACCOUNT_JOB,
        data: { accountId },
        opts: { ...opts, deduplication: { id: accountDedupId(accountId) } },
      })),
    );
    enqueued += ids.length;
    after = ids[ids.length - 1];
    if (ids.length < FAN_OUT_PAGE) break;
  }
  return enqueued;
}

export type RefreshAccountJobResult =
  | { outcome: "refreshed"; accessExpiresAt: string | null }
  | { outcome: "skipped"; reason: string };

/**
 * Refreshes one account. A deleted or needs_reauth account is skipped (nothing to retry);
 * tokens issued after the job was queued count as done (someone refreshed meanwhile).
 * The account is read once, under its lock (accounts/refresh.ts).
 */
export async function processRefreshAccountTokensJob(
  ctx: AppContext,
  jobData: unknown,
  job?: JobMeta,
): Promise<RefreshAccountJobResult> {
  const { accountId } = refreshAccountJobDataSchema.parse(jobData);
  let result: RefreshOutcome;
  try {
    result = await refreshAccountSessionWithOutcome(ctx, accountId, {
      ifIssuedBefore: job ? new Date(job.timestamp) : undefined,
      skipInactive: true,
    });
  } catch (err) {
    if (err instanceof AppError && err.code === "not_found") return { outcome: "skipped", reason: "account deleted" };
    throw err;
  }
  if (!result.refreshed) return { outcome: "skipped", reason: result.skipped ?? "already fresh" };
  return { outcome: "refreshed", accessExpiresAt: result.account.accessExpiresAt?.toISOString() ?? null };
}

/**
 * The refresh worker's processor: dispatches by job name and turns a classified failure
 * into BullMQ behaviour (jobErrors.ts): retry, wait for a rate limit, or fail now.
 */
export function tokenRefreshProcessor(ctx: AppContext): Processor<TokenRefreshJobData> {
  return async (job, token) => {
    try {
      switch (job.name) {
        case REFRESH_ALL_JOB:
          return await processRefreshAllTokensJob(ctx, job.data, job);
        case REFRESH_ACCOUNT_JOB:
          return await processRefreshAccountTokensJob(ctx, job.data, job);
        case AUTH_PURGE_JOB:
          return await purgeExpiredAuth(ctx);
        default:
          throw unrecoverable(`unknown token refresh job "${job.name}"`);
      }
    } catch (err) {
      if (err instanceof ZodError) throw unrecoverable(`invalid job data: ${err.message}`);
      const action = classifyFailure(err);
      const accountId = (job.data as Partial<RefreshAccountJobData>).accountId;
      log.warn({ jobId: job.id, accountId, attempt: job.attemptsMade + 1, action: action.kind, reason: action.message }, "token refresh failed");
      if (action.kind === "wait") return waitForRateLimit(job, token, action.retryAfterMs);
      if (action.kind === "fail") throw unrecoverable(action.message);
      throw err;
    }
  };
}
