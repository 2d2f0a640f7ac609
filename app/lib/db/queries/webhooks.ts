import { and, asc, desc, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../client";
import { webhookAttempts, webhookDeliveries, webhookEvents, webhooks, type Webhook } from "../schema";

/**
 * Webhook SQL. Events of posts and accounts are written by triggers (drizzle/0010_webhooks.sql);
 * this module writes endpoints, test events, the relay's marks and the delivery log.
 */

type Row = Record<string, unknown>;
const iso = (v: unknown) => (v == null ? null : new Date(v as string | Date).toISOString());

export async function insertWebhook(db: Db, values: { id: string; userId: string; url: string; events: string[]; secret: string }): Promise<Webhook> {
  const [row] = await db.insert(webhooks).values(values).returning();
  if (!row) throw new Error("insert into webhooks returned no row");
  return row;
}

export async function countWebhooksOfUser(db: Db, userId: string): Promise<number> {
  const [r] = await db.select({ n: sql<number>`count(*)::int` }).from(webhooks).where(eq(webhooks.userId, userId));
  return r?.n ?? 0;
}

export async function listWebhooksOfUser(db: Db, userId: string): Promise<Webhook[]> {
  return db.select().from(webhooks).where(eq(webhooks.userId, userId)).orderBy(asc(webhooks.createdAt), asc(webhooks.id));
}

export async function findWebhookOfUser(db: Db, userId: string, id: string): Promise<Webhook | undefined> {
  const [row] = await db.select().from(webhooks).where(and(eq(webhooks.id, id), eq(webhooks.userId, userId))).limit(1);
  return row;
}

/** Deletes the endpoint with its deliveries and log (cascade). */
export async function deleteWebhookOfUser(db: Db, userId: string, id: string): Promise<boolean> {
  const rows = await db.delete(webhooks).where(and(eq(webhooks.id, id), eq(webhooks.userId, userId))).returning({ id: webhooks.id });
  return rows.length > 0;
}

/**
 * Resumes a paused endpoint: the failure count starts again and the deliveries held while it
 * was paused go back to the outbox (the relay queues them again, with fresh attempts).
 */
export async function resumeWebhookOfUser(db: Db, userId: string, id: string): Promise<Webhook | undefined> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(webhooks)
      .set({ pausedAt: null, pausedReason: null, consecutiveFailures: 0, updatedAt: new Date() })
      .where(and(eq(webhooks.id, id), eq(webhooks.userId, userId)))
      .returning();
    if (!row) return undefined;
    await tx
      .update(webhookDeliveries)
      .set({ status: "pending", enqueuedAt: null, updatedAt: new Date() })
      .where(and(eq(webhookDeliveries.webhookId, id), eq(webhookDeliveries.status, "held")));
    return row;
  });
}

/** An event for one endpoint only (the "send test event" button), written like the triggers write theirs. */
export async function insertSingleEvent(
  db: Db,
  e: { userId: string; webhookId: string; type: string; data: Record<string, unknown> },
): Promise<{ eventId: string; deliveryId: string }> {
  return db.transaction(async (tx) => {
    const [ev] = await tx.insert(webhookEvents).values({ userId: e.userId, type: e.type, data: e.data }).returning({ id: webhookEvents.id });
    if (!ev) throw new Error("insert into webhook_events returned no row");
    const [d] = await tx.insert(webhookDeliveries).values({ webhookId: e.webhookId, eventId: ev.id }).returning({ id: webhookDeliveries.id });
    if (!d) throw new Error("insert into webhook_deliveries returned no row");
    return { eventId: ev.id, deliveryId: d.id };
  });
}

/** Whether any delivery waits to be queued: one cheap read, so an idle relay opens no transaction. */
export async function hasUnqueuedDeliveries(db: Db): Promise<boolean> {
  const res = await db.execute(sql`SELECT EXISTS (SELECT 1 FROM webhook_deliveries WHERE enqueued_at IS NULL) AS found`);
  return (res.rows[0] as Row).found === true;
}

/**
 * The relay's step: deliveries not yet on the queue, locked (other relays skip them), handed
 * to `enqueue`, then marked — all in one transaction. A crash before the commit leaves them
 * unmarked, so they are queued again (the job id makes that a no-op while the job exists, and
 * the worker skips a delivery already settled).
 */
export async function relayUnqueuedDeliveries(db: Db, limit: number, enqueue: (ids: string[]) => Promise<void>): Promise<number> {
  return db.transaction(async (tx) => {
    const found = await tx.execute(sql`SELECT id FROM webhook_deliveries WHERE enqueued_at IS NULL
      ORDER BY created_at LIMIT ${limit} FOR UPDATE SKIP LOCKED`);
    const ids = (found.rows as Row[]).map((r) => r.id as string);
    if (ids.length === 0) return 0;
    await enqueue(ids);
    await tx.update(webhookDeliveries).set({ enqueuedAt: new Date() }).where(inArray(webhookDeliveries.id, ids));
    return ids.length;
  });
}

/** Pending deliveries queued long ago: the relay checks their jobs still exist (a wiped Redis). */
export async function pendingQueuedBefore(db: Db, before: Date, limit: number): Promise<string[]> {
  const found = await db
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.status, "pending"), sql`${webhookDeliveries.enqueuedAt} < ${before.toISOString()}`))
    .orderBy(asc(webhookDeliveries.enqueuedAt))
    .limit(limit);
  return found.map((r) => r.id);
}

export interface DeliveryToSend {
  id: string;
  status: string;
  attempts: number;
  webhookId: string;
  url: string;
  sealedSecret: string;
  paused: boolean;
  event: { id: string; type: string; createdAt: Date; data: Record<string, unknown> };
}

export async function findDeliveryToSend(db: Db, deliveryId: string): Promise<DeliveryToSend | undefined> {
  const res = await db.execute(sql`SELECT d.id, d.status, d.attempts, w.id AS webhook_id, w.url, w.secret, w.paused_at,
      e.id AS event_id, e.type, e.created_at, e.data
    FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id JOIN webhook_events e ON e.id = d.event_id
    WHERE d.id = ${deliveryId}`);
  const r = res.rows[0] as Row | undefined;
  if (!r) return undefined;
  return {
    id: r.id as string,
    status: r.status as string,
    attempts: r.attempts as number,
    webhookId: r.webhook_id as string,
    url: r.url as string,
    sealedSecret: r.secret as string,
    paused: r.paused_at != null,
    event: { id: r.event_id as string, type: r.type as string, createdAt: new Date(r.created_at as string | Date), data: r.data as Record<string, unknown> },
  };
}

/** The endpoint is paused: the delivery waits for a resume instead of being sent. */
export async function holdDelivery(db: Db, deliveryId: string): Promise<void> {
  await db
    .update(webhookDeliveries)
    .set({ status: "held", updatedAt: new Date() })
    .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.status, "pending")));
}

export interface WebhookAttemptResult {
  deliveryId: string;
  webhookId: string;
  attempt: number;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  /** delivered (2xx), retry (another attempt follows), failed (no attempt left). */
  outcome: "delivered" | "retry" | "failed";
  /** A test event: its outcome changes no failure count. */
  test: boolean;
  pauseAfterFailedEvents: number;
}

/**
 * Logs one try and settles the delivery; a 2xx clears the endpoint's failure count, a
 * delivery that used every attempt adds one, and reaching the limit pauses the endpoint.
 * Returns true when this attempt paused it.
 */
export async function recordWebhookAttempt(db: Db, a: WebhookAttemptResult): Promise<boolean> {
  return db.transaction(async (tx) => {
    await tx.insert(webhookAttempts).values({
      deliveryId: a.deliveryId,
      attempt: a.attempt,
      statusCode: a.statusCode,
      error: a.error,
      durationMs: a.durationMs,
    });
    const status = a.outcome === "retry" ? "pending" : a.outcome;
    await tx
      .update(webhookDeliveries)
      .set({
        status,
        attempts: a.attempt,
        lastStatusCode: a.statusCode,
        lastError: a.error,
        updatedAt: new Date(),
        ...(a.outcome === "delivered" ? { deliveredAt: new Date() } : {}),
      })
      .where(eq(webhookDeliveries.id, a.deliveryId));
    if (a.test || a.outcome === "retry") return false;
    if (a.outcome === "delivered") {
      await tx.update(webhooks).set({ consecutiveFailures: 0 }).where(and(eq(webhooks.id, a.webhookId), sql`consecutive_failures <> 0`));
      return false;
    }
    const limit = a.pauseAfterFailedEvents;
    const paused = await tx.execute(sql`UPDATE webhooks SET consecutive_failures = consecutive_failures + 1, updated_at = now(),
        paused_at = CASE WHEN paused_at IS NULL AND consecutive_failures + 1 >= ${limit} THEN now() ELSE paused_at END,
        paused_reason = CASE WHEN paused_at IS NULL AND consecutive_failures + 1 >= ${limit}
          THEN ${`${limit} events in a row failed every attempt`} ELSE paused_reason END
      WHERE id = ${a.webhookId} RETURNING (paused_at IS NOT NULL AND consecutive_failures = ${limit}) AS just_paused`);
    return Boolean((paused.rows[0] as Row | undefined)?.just_paused);
  });
}

export interface DeliveryLogEntry {
  id: string;
  eventId: string;
  type: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
  log: Array<{ attempt: number; statusCode: number | null; error: string | null; durationMs: number; at: string }>;
}

/** The newest deliveries of an endpoint, each with its tries (oldest try first). */
export async function listDeliveryLog(db: Db, webhookId: string, limit: number): Promise<DeliveryLogEntry[]> {
  const rows = await db
    .select({
      id: webhookDeliveries.id,
      eventId: webhookDeliveries.eventId,
      type: webhookEvents.type,
      status: webhookDeliveries.status,
      attempts: webhookDeliveries.attempts,
      lastStatusCode: webhookDeliveries.lastStatusCode,
      lastError: webhookDeliveries.lastError,
      createdAt: webhookDeliveries.createdAt,
      deliveredAt: webhookDeliveries.deliveredAt,
    })
    .from(webhookDeliveries)
    .innerJoin(webhookEvents, eq(webhookEvents.id, webhookDeliveries.eventId))
    .where(eq(webhookDeliveries.webhookId, webhookId))
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
    .limit(limit);
  const ids = rows.map((r) => r.id);
  const tries =
    ids.length === 0
      ? []
      : await db.select().from(webhookAttempts).where(inArray(webhookAttempts.deliveryId, ids)).orderBy(asc(webhookAttempts.id));
  return rows.map((r) => ({
    ...r,
    createdAt: r.createdAt.toISOString(),
    deliveredAt: iso(r.deliveredAt),
    log: tries
      .filter((t) => t.deliveryId === r.id)
      .map((t) => ({ attempt: t.attempt, statusCode: t.statusCode, error: t.error, durationMs: t.durationMs, at: t.createdAt.toISOString() })),
  }));
}

/** Events (with their deliveries and log) older than the cut-off go. */
export async function deleteEventsBefore(db: Db, before: Date): Promise<number> {
  const rows = await db.delete(webhookEvents).where(sql`${webhookEvents.createdAt} < ${before.toISOString()}`).returning({ id: webhookEvents.id });
  return rows.length;
}

/** Every webhook's sealed secret, locked until the caller's transaction ends (rotate-secret). */
export async function lockAllWebhookSecrets(db: Db): Promise<Array<{ id: string; secret: string }>> {
  return db.select({ id: webhooks.id, secret: webhooks.secret }).from(webhooks).orderBy(asc(webhooks.id)).for("update");
}

export async function setWebhookSecret(db: Db, id: string, secret: string): Promise<void> {
  await db.update(webhooks).set({ secret }).where(eq(webhooks.id, id));
}
