import type { AppContext } from "../context";
import {
  countWebhooksOfUser,
  deleteWebhookOfUser,
  findWebhookOfUser,
  insertSingleEvent,
  insertWebhook,
  listDeliveryLog,
  listWebhooksOfUser,
  resumeWebhookOfUser,
  type DeliveryLogEntry,
} from "../db/queries/webhooks";
import type { Webhook } from "../db/schema";
import { AppError, notFound } from "../errors";
import { logger } from "../logger";
import { refusedDestination } from "../net/destination";
import { queueCall } from "../queues/queueCall";
import { TEST_EVENT, type WebhookEventType } from "./events";
import { addWebhookJobs } from "./queue";
import type { CreateWebhookBody, PublicWebhook } from "./schemas";
import { newWebhookSecret, webhookSecretContext } from "./signature";
import { randomUUID } from "node:crypto";

const log = logger("webhooks");

export const MAX_WEBHOOKS_PER_USER = 20;
const LOG_ENTRIES = 50;

export const toPublicWebhook = (w: Webhook): PublicWebhook => ({
  id: w.id,
  url: w.url,
  events: w.events as WebhookEventType[],
  status: w.pausedAt ? "paused" : "active",
  pausedAt: w.pausedAt?.toISOString() ?? null,
  pausedReason: w.pausedReason,
  consecutiveFailures: w.consecutiveFailures,
  createdAt: w.createdAt.toISOString(),
});

/** Stores an endpoint; the secret is returned this once and kept sealed. Private destinations → 422. */
export async function createWebhook(ctx: AppContext, userId: string, input: CreateWebhookBody): Promise<PublicWebhook & { secret: string }> {
  const url = new URL(input.url);
  if (url.username || url.password) throw new AppError("unprocessable", "the webhook URL must not contain a user name or password");
  const refused = await refusedDestination(ctx.outbound.allowlist, url);
  if (refused) throw new AppError("unprocessable", refused);
  if ((await countWebhooksOfUser(ctx.database.db, userId)) >= MAX_WEBHOOKS_PER_USER) {
    throw new AppError("unprocessable", `at most ${MAX_WEBHOOKS_PER_USER} webhooks per user`);
  }
  const id = randomUUID();
  const secret = newWebhookSecret();
  const row = await insertWebhook(ctx.database.db, {
    id,
    userId,
    url: url.toString(),
    events: [...new Set(input.events)],
    secret: ctx.box.seal(secret, webhookSecretContext(id)),
  });
  log.info({ webhookId: id, userId }, "webhook created");
  return { ...toPublicWebhook(row), secret };
}

export async function listWebhooks(ctx: AppContext, userId: string): Promise<PublicWebhook[]> {
  return (await listWebhooksOfUser(ctx.database.db, userId)).map(toPublicWebhook);
}

export async function deleteWebhook(ctx: AppContext, userId: string, id: string): Promise<void> {
  if (!(await deleteWebhookOfUser(ctx.database.db, userId, id))) throw notFound("webhook");
}

/** A paused endpoint takes deliveries again; what was held while it was paused is sent. */
export async function resumeWebhook(ctx: AppContext, userId: string, id: string): Promise<PublicWebhook> {
  const row = await resumeWebhookOfUser(ctx.database.db, userId, id);
  if (!row) throw notFound("webhook");
  return toPublicWebhook(row);
}

/**
 * "Send test event": a `webhook.test` event for this endpoint alone, sent even while it is
 * paused (to check it before resuming) and counted in no failure streak. It goes through the
 * outbox like every event; queuing it here only saves the relay's wait.
 */
export async function sendTestEvent(ctx: AppContext, userId: string, id: string): Promise<{ id: string; eventId: string; status: "pending" }> {
  const webhook = await findWebhookOfUser(ctx.database.db, userId, id);
  if (!webhook) throw notFound("webhook");
  const { eventId, deliveryId } = await insertSingleEvent(ctx.database.db, {
    userId,
    webhookId: id,
    type: TEST_EVENT,
    data: { webhook: { id }, message: "This is a test event from PostMore." },
  });
  await queueCall("queuing the test event", () => addWebhookJobs(ctx, [deliveryId])).catch((err: unknown) =>
    // The outbox row is written: the worker's relay sends it when the queue answers again.
    log.warn({ err: err instanceof Error ? err.message : String(err), webhookId: id }, "test event left to the relay"),
  );
  return { id: deliveryId, eventId, status: "pending" };
}

export async function webhookDeliveryLog(ctx: AppContext, userId: string, id: string): Promise<DeliveryLogEntry[]> {
  if (!(await findWebhookOfUser(ctx.database.db, userId, id))) throw notFound("webhook");
  return listDeliveryLog(ctx.database.db, id, LOG_ENTRIES);
}
