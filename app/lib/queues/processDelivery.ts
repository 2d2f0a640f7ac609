import type { Job } from "bullmq";
import type { PublishedRecord, PublishRequest, PublishResult } from "../api/platform";
import { AuthPlatformError, PlatformError } from "../api/platformErrors";
import { getPlatformService } from "../api/services/apiManager";
import type { AppContext } from "../context";
import {
  claimDelivery,
  deliveryState,
  failMissedDelivery,
  recordAttempt,
  recordRateLimitWait,
  refreshPostStatus,
  type ClaimedDelivery,
} from "../db/queries/deliveries";
import { logger } from "../logger";
import { loadPostContent, MediaMissingError } from "../media/postImages";
import { classifyFailure, delayUntil, isFinalAttempt, unrecoverable } from "./jobErrors";
import { freshAccount, markAccountProblem, refreshedAccount } from "./postAccount";

const log = logger("post-worker");

/** What one run did, as the job's return value (kept with completed jobs for a while). */
export type DeliveryOutcome = "published" | "already_published" | "skipped" | "missed" | "gone";

/**
 * One attempt at one delivery. Safe to run any number of times: the delivery row decides
 * whether there is anything to do, and publish writes the keys chosen at scheduling
 * create-only, so a second run finds its records instead of making new ones.
 */
export async function runPostDelivery(ctx: AppContext, deliveryId: string, job?: Job, token?: string): Promise<DeliveryOutcome> {
  const db = ctx.database.db;
  const missedAfterHours = ctx.config.missedPostAfterHours;
  const startedAt = new Date();
  const claim = await claimDelivery(db, deliveryId, missedAfterHours);
  if (!claim) return notClaimed(ctx, deliveryId, job, token);

  try {
    if (claim.accountStatus !== "active") {
      throw unrecoverable(`the account @${claim.accountHandle} needs to be reconnected before it can post`);
    }
    const result = await publish(ctx, claim);
    const outcome = result.alreadyPublished ? "already_published" : "published";
    await recordAttempt(db, { ...attemptBase(claim, startedAt), outcome, remote: result.root, segments: result.records });
    log.debug({ ...logIds(claim, job), outcome }, "delivery published");
    return outcome;
  } catch (err) {
    return settleFailure(ctx, claim, startedAt, err, job, token);
  }
}

/** The ids every delivery log line carries, so one post can be followed through the logs. */
const logIds = (c: ClaimedDelivery, job: Job | undefined) => ({
  jobId: job?.id,
  deliveryId: c.id,
  postId: c.postId,
  accountId: c.accountId,
  attempt: c.attempt,
});

const attemptBase = (c: ClaimedDelivery, startedAt: Date) => ({
  deliveryId: c.id,
  postId: c.postId,
  siblings: c.siblings,
  attempt: c.attempt,
  startedAt,
});

/** The request for the platform: the post's images are read from the media store here, in the worker. */
async function publishRequest(ctx: AppContext, claim: ClaimedDelivery): Promise<PublishRequest> {
  let content: PublishRequest["content"];
  try {
    content = await loadPostContent(ctx, claim.text, claim.content);
  } catch (err) {
    throw err instanceof MediaMissingError ? unrecoverable(err.message) : err;
  }
  return {
    rkeys: claim.rkeys,
    createdAt: claim.recordCreatedAt,
    content,
    published: claim.segmentRecords,
    // Not the first attempt: an earlier one may have posted unheard. It began no earlier than the
    // delivery's fixed record time (set when it became due), so that bounds the search.
    ...(claim.attempt > 1 ? { unclearSince: claim.recordCreatedAt } : {}),
  };
}

async function publish(ctx: AppContext, claim: ClaimedDelivery): Promise<PublishResult> {
  const service = getPlatformService(ctx, claim.platform);
  const request = await publishRequest(ctx, claim);
  const account = await freshAccount(ctx, claim);
  const publishStartedAt = new Date();
  try {
    return await service.publish(account, request);
  } catch (err) {
    if (!(err instanceof AuthPlatformError)) throw err;
    // The token was refused although it looked fresh (revoked, rotated elsewhere): refresh
    // under the account lock and try once more; a second refusal is retried with backoff.
    return service.publish(await refreshedAccount(ctx, claim.accountId, publishStartedAt), request);
  }
}

async function settleFailure(
  ctx: AppContext,
  claim: ClaimedDelivery,
  startedAt: Date,
  err: unknown,
  job: Job | undefined,
  token: string | undefined,
): Promise<DeliveryOutcome> {
  const db = ctx.database.db;
  const action = classifyFailure(err);
  // What is live now: what this attempt reports, or what earlier attempts had put there.
  const reported = err instanceof PlatformError ? err.publishedSoFar : undefined;
  const segments = reported && reported.length >= claim.segmentRecords.length ? reported : claim.segmentRecords;
  const base = { ...attemptBase(claim, startedAt), segments };
  // Failures only a reconnect can fix are marked so that reconnecting retries them.
  const failureCode = action.kind === "fail" && (action.account === "reauth" || claim.accountStatus === "needs_reauth") ? ("reauth" as const) : undefined;

  if (action.kind === "wait" && job) {
    const wait = rateLimitWait(ctx, claim, action.retryAfterMs);
    if (wait.kind === "wait") {
      await recordRateLimitWait(db, { ...base, outcome: "rate_limited", error: action.message }, wait.until, wait.waitMs);
      return delayUntil(job, token, wait.until);
    }
    await recordAttempt(db, { ...base, outcome: "failed", error: wait.message });
    log.warn(logIds(claim, job), `delivery failed: ${wait.message}`);
    throw unrecoverable(wait.message);
  }
  if (action.kind === "fail") {
    if (action.account) await markAccountProblem(ctx, claim.accountId, action.account, action.message);
    await recordAttempt(db, { ...base, outcome: "failed", error: action.message, failureCode });
    log.warn(logIds(claim, job), `delivery failed: ${action.message}`);
    throw unrecoverable(action.message);
  }
  if (isFinalAttempt(job)) {
    // The outcome is unclear (a timeout may hide a write that went through): ask the platform
    // for the records by key before calling anything failed.
    const live = await lookUpLive(ctx, claim, segments, job);
    if (live.length === claim.rkeys.length) {
      await recordAttempt(db, { ...base, outcome: "already_published", remote: live[0], segments: live });
      log.info(logIds(claim, job), "delivery found published on the platform after an unclear failure");
      return "already_published";
    }
    await recordAttempt(db, { ...base, segments: live, outcome: "failed", error: `gave up after ${claim.attempt} attempts: ${action.message}` });
    log.warn(logIds(claim, job), `delivery failed for good: ${action.message}`);
  } else {
    await recordAttempt(db, { ...base, outcome: "retry", error: action.message });
    log.debug(logIds(claim, job), `delivery will be retried: ${action.message}`);
  }
  throw err instanceof Error ? err : new Error(action.message);
}

/** The segments live on the platform, by key; what we knew already when the platform cannot be asked. */
async function lookUpLive(ctx: AppContext, claim: ClaimedDelivery, known: PublishedRecord[], job: Job | undefined): Promise<PublishedRecord[]> {
  const service = getPlatformService(ctx, claim.platform);
  if (!service.findPublished) return known;
  try {
    const found = await service.findPublished(await freshAccount(ctx, claim), await publishRequest(ctx, claim));
    return found.length >= known.length ? found : known;
  } catch (lookupErr) {
    log.warn({ ...logIds(claim, job), err: String(lookupErr) }, "could not look the records up by key");
    return known;
  }
}

/** Rate-limit waits are at least this long: a 429 with a reset of "now" must not become a busy loop. */
export const RATE_LIMIT_MIN_WAIT_MS = 5_000;

type RateLimitDecision = { kind: "wait"; until: Date; waitMs: number } | { kind: "fail"; message: string };

/** Wait (at least 5 s, with jitter so jobs held by one limit do not wake together), unless the total cap is spent. */
function rateLimitWait(ctx: AppContext, claim: ClaimedDelivery, retryAfterMs: number): RateLimitDecision {
  const waitMs = Math.max(RATE_LIMIT_MIN_WAIT_MS, retryAfterMs) + Math.floor(Math.random() * 1000);
  const capMinutes = ctx.config.rateLimitMaxWaitMinutes;
  if (claim.rateLimitWaitedMs + waitMs > capMinutes * 60_000) {
    const more = Math.ceil(retryAfterMs / 60_000);
    return {
      kind: "fail",
      message: `the platform kept this account rate-limited for more than ${capMinutes} min in all (it asked to wait ${more} more min), so PostMore stopped waiting; retry the post later`,
    };
  }
  return { kind: "wait", until: new Date(Date.now() + waitMs), waitMs };
}

/** The delivery was not claimable: find out why and act on it. */
async function notClaimed(ctx: AppContext, deliveryId: string, job: Job | undefined, token: string | undefined): Promise<DeliveryOutcome> {
  const db = ctx.database.db;
  const state = await deliveryState(db, deliveryId, ctx.config.missedPostAfterHours);
  if (!state) return "gone";
  if (state.missed) {
    await failMissedDelivery(db, deliveryId, ctx.config.missedPostAfterHours);
    await refreshPostStatus(db, state.postId);
    return "missed";
  }
  // Rescheduled while its old job was already running: wait for the new time instead.
  if (state.status === "pending" && job) return delayUntil(job, token, state.scheduledAt);
  return "skipped";
}
