import type { Job } from "bullmq";
import type { PublishResult } from "../api/platform";
import { AuthPlatformError } from "../api/platformErrors";
import { getPlatformService } from "../api/services/apiManager";
import type { AppContext } from "../context";
import {
  claimDelivery,
  deliveryState,
  failMissedDelivery,
  recordAttempt,
  refreshPostStatus,
  type ClaimedDelivery,
} from "../db/queries/deliveries";
import { logger } from "../logger";
import { segmentsOf } from "../posts/segments";
import { classifyFailure, delayUntil, isFinalAttempt, unrecoverable, waitForRateLimit } from "./jobErrors";
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
    await recordAttempt(db, { ...attemptBase(claim, startedAt), outcome, remote: result.root });
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

async function publish(ctx: AppContext, claim: ClaimedDelivery): Promise<PublishResult> {
  const service = getPlatformService(claim.platform);
  const request = { rkeys: claim.rkeys, createdAt: claim.recordCreatedAt, content: segmentsOf(claim.text, claim.content) };
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
): Promise<never> {
  const db = ctx.database.db;
  const base = attemptBase(claim, startedAt);
  const action = classifyFailure(err);

  if (action.kind === "wait" && job) {
    await recordAttempt(db, { ...base, outcome: "rate_limited", error: action.message });
    return waitForRateLimit(job, token, action.retryAfterMs);
  }
  if (action.kind === "fail") {
    if (action.account) await markAccountProblem(ctx, claim.accountId, action.account, action.message);
    await recordAttempt(db, { ...base, outcome: "failed", error: action.message });
    log.warn(logIds(claim, job), `delivery failed: ${action.message}`);
    throw unrecoverable(action.message);
  }
  if (isFinalAttempt(job)) {
    await recordAttempt(db, { ...base, outcome: "failed", error: `gave up after ${claim.attempt} attempts: ${action.message}` });
    log.warn(logIds(claim, job), `delivery failed for good: ${action.message}`);
  } else {
    await recordAttempt(db, { ...base, outcome: "retry", error: action.message });
    log.debug(logIds(claim, job), `delivery will be retried: ${action.message}`);
  }
  throw err instanceof Error ? err : new Error(action.message);
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
