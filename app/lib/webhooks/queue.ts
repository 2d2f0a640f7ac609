import { UnrecoverableError, type Job, type JobsOptions, type Queue, type Worker } from "bullmq";
import { z } from "zod";
import type { AppContext } from "../context";
import { findDeliveryToSend, holdDelivery, recordWebhookAttempt } from "../db/queries/webhooks";
import { logger } from "../logger";
import { findOutboundError } from "../net/errors";
import { isFinalAttempt } from "../queues/jobErrors";
import { eventBody, TEST_EVENT } from "./events";
import { signWebhookBody, webhookSecretContext } from "./signature";

export const WEBHOOK_QUEUE = "webhooks";
const DELIVER_JOB = "deliver";
const log = logger("webhook-worker");

/** Job data holds the delivery id only; the handler re-reads the outbox rows. */
export const webhookJobDataSchema = z.object({ deliveryId: z.uuid() });
export type WebhookJobData = z.infer<typeof webhookJobDataSchema>;

/** The context's webhook queue, opened on first use (as the post queue, postQueue.ts). */
export function getWebhookQueue(ctx: AppContext): Queue<WebhookJobData> {
  ctx.openQueues.webhooks ??= ctx.queues.createQueue<WebhookJobData>(WEBHOOK_QUEUE);
  return ctx.openQueues.webhooks;
}

/** Ids without ':' (BullMQ); one job per delivery, so queuing it twice is a no-op while it exists. */
export const webhookJobId = (deliveryId: string) => `webhook-${deliveryId}`;

function jobOptions(ctx: AppContext, deliveryId: string): JobsOptions {
  const w = ctx.config.webhooks;
  return {
    jobId: webhookJobId(deliveryId),
    attempts: w.attempts,
    // 8 attempts from 11 min doubling: 11, 22, 44 min, 1.5, 3, 6, 12 h — about a day in all.
    backoff: { type: "exponential", delay: w.retryDelayMs, jitter: 0.2 },
    // The webhook tables are the history; a finished job is not needed (and a re-queued one is skipped).
    removeOnComplete: true,
    removeOnFail: true,
  };
}

export async function addWebhookJobs(ctx: AppContext, deliveryIds: string[]): Promise<void> {
  if (deliveryIds.length === 0) return;
  const queue = getWebhookQueue(ctx);
  if (deliveryIds.length === 1) {
    await queue.add(DELIVER_JOB, { deliveryId: deliveryIds[0]! }, jobOptions(ctx, deliveryIds[0]!));
    return;
  }
  await queue.addBulk(deliveryIds.map((deliveryId) => ({ name: DELIVER_JOB, data: { deliveryId }, opts: jobOptions(ctx, deliveryId) })));
}

export type WebhookOutcome = "delivered" | "held" | "skipped" | "gone";

/** Most of a receiver's answer read (it is not used; the connection is just drained). */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * One try of one delivery: signed POST through the guarded outbound layer. A 2xx settles it;
 * anything else throws so BullMQ retries with backoff (the last try settles it as failed). A
 * destination the guard refuses fails at once: retrying cannot make it public.
 */
export async function processWebhookJob(ctx: AppContext, data: WebhookJobData, job?: Job): Promise<WebhookOutcome> {
  const { deliveryId } = webhookJobDataSchema.parse(data);
  const db = ctx.database.db;
  const d = await findDeliveryToSend(db, deliveryId);
  if (!d) return "gone";
  if (d.status !== "pending") return "skipped";
  const test = d.event.type === TEST_EVENT;
  if (d.paused && !test) {
    await holdDelivery(db, deliveryId);
    return "held";
  }
  const attempt = d.attempts + 1;
  const body = eventBody(ctx.config, d.event);
  const started = Date.now();
  let statusCode: number | null = null;
  let error: string | null = null;
  let permanent = false;
  try {
    const secret = openSecret(ctx, d.sealedSecret, d.webhookId);
    const res = await ctx.outbound.fetch(d.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "PostMore-Webhooks/1",
        "PostMore-Event": d.event.type,
        "PostMore-Delivery": d.id,
        "PostMore-Signature": signWebhookBody(secret, body),
      },
      body,
      timeoutMs: ctx.config.webhooks.timeoutMs,
      maxBytes: MAX_RESPONSE_BYTES,
      // A redirect is not an answer: the receiver must be configured at its final URL.
      maxRedirects: 0,
    });
    statusCode = res.status;
    await res.arrayBuffer().catch(() => undefined);
    if (statusCode < 200 || statusCode > 299) error = `HTTP ${statusCode}`;
  } catch (err) {
    if (err instanceof UnreadableSecret) {
      permanent = true;
      error = err.message;
    } else {
      const guard = findOutboundError(err);
      // Retrying cannot make a private address public or a bad URL good.
      permanent = guard?.reason === "refused" || guard?.reason === "bad_url";
      // Only our own words or the error class reach the log users see, never what the far side said.
      error = guard ? guard.message : `could not reach the endpoint (${networkReason(err)})`;
    }
  }
  const delivered = error === null;
  const outcome = delivered ? "delivered" : permanent || !job || isFinalAttempt(job) ? "failed" : "retry";
  const paused = await recordWebhookAttempt(db, {
    deliveryId,
    webhookId: d.webhookId,
    attempt,
    statusCode,
    error,
    durationMs: Date.now() - started,
    outcome,
    test,
    pauseAfterFailedEvents: ctx.config.webhooks.pauseAfterFailedEvents,
  });
  const ids = { webhookId: d.webhookId, deliveryId, eventId: d.event.id, attempt };
  if (paused) log.warn(ids, "webhook endpoint paused after persistent failure");
  if (delivered) return "delivered";
  log.info({ ...ids, statusCode, outcome }, `webhook delivery failed: ${error}`);
  if (outcome === "failed") throw new UnrecoverableError(error ?? "failed");
  throw new Error(error ?? "failed");
}

class UnreadableSecret extends Error {}

/** undici's "fetch failed" hides the reason (ECONNREFUSED, ENOTFOUND…) in its cause. */
function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === "string") return cause.code;
  if (typeof cause?.message === "string") return cause.message;
  return err instanceof Error ? err.message : String(err);
}

/** A secret that does not open (sealed under another POSTMORE_SECRET) fails the delivery at once, saying why. */
function openSecret(ctx: AppContext, sealed: string, webhookId: string): string {
  try {
    return ctx.box.open(sealed, webhookSecretContext(webhookId));
  } catch {
    throw new UnreadableSecret("the signing secret cannot be decrypted with the current POSTMORE_SECRET: delete and add the webhook again");
  }
}

export function createWebhookWorker(ctx: AppContext): Worker<WebhookJobData> {
  return ctx.queues.createWorker<WebhookJobData>(WEBHOOK_QUEUE, (job) => processWebhookJob(ctx, job.data, job), {
    concurrency: ctx.config.webhooks.concurrency,
  });
}
