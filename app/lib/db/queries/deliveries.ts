import { sql } from "drizzle-orm";
import type { Pool } from "pg";
import type { Db } from "../client";
import type { PostContentJson } from "./posts";

/**
 * The post worker's SQL. Each step of a publish is one statement where it can be, because
 * at concurrency 5 the round trips are the pipeline's cost.
 */

export type DeliveryStatus = "pending" | "publishing" | "published" | "failed" | "cancelled";
export type AttemptOutcome = "published" | "already_published" | "retry" | "rate_limited" | "failed";

export interface ClaimedDelivery {
  id: string;
  postId: string;
  accountId: string;
  accountStatus: string;
  accountHandle: string;
  accountDid: string;
  accountService: string;
  /** Sealed (encrypted) credentials, opened only when the token is fresh enough to use as is. */
  accountCredentials: string;
  accessExpiresAt: Date | null;
  platform: "bluesky";
  rkeys: string[];
  recordCreatedAt: Date;
  attempt: number;
  text: string;
  content: PostContentJson;
  /** Deliveries of the same post (1 = the post status follows this delivery alone). */
  siblings: number;
}

type Row = Record<string, unknown>;

async function rows(db: Db, query: ReturnType<typeof sql>): Promise<Row[]> {
  const res = await db.execute(query);
  return res.rows as Row[];
}

/**
 * The two statements every publish runs go through named prepared statements: PostgreSQL
 * parses and plans them once per connection instead of once per job (planning the claim
 * costs about as much as running it).
 */
async function prepared(db: Db, name: string, text: string, values: unknown[]): Promise<Row[]> {
  // drizzle() keeps the pg Pool it was given as $client (its type just does not say so).
  const client = (db as Db & { $client?: Pool }).$client;
  if (!client) throw new Error("the database handle has no pg client to prepare statements on");
  const res = await client.query<Row>({ name, text, values });
  return res.rows;
}

const CLAIM_SQL = `
  WITH claimed AS (
    UPDATE deliveries d SET status = 'publishing', attempts = d.attempts + 1, updated_at = now()
    WHERE d.id = $1
      AND d.status IN ('pending', 'publishing')
      AND d.scheduled_at <= now() + interval '2 seconds'
      AND NOT (d.status = 'pending' AND d.scheduled_at < now() - make_interval(hours => $2::int))
    RETURNING d.id, d.post_id, d.account_id, d.rkeys, d.rkey, d.record_created_at, d.attempts
  ), post_status AS (
    UPDATE posts SET status = 'publishing', updated_at = now()
    WHERE id = (SELECT post_id FROM claimed) AND status = 'scheduled'
  )
  SELECT c.id, c.post_id, c.account_id, c.rkeys, c.rkey, c.record_created_at, c.attempts,
         p.text, p.content, a.status AS account_status, a.handle, a.platform,
         a.did, a.service, a.credentials, a.access_expires_at,
         (SELECT count(*) FROM deliveries s WHERE s.post_id = c.post_id)::int AS siblings
  FROM claimed c JOIN posts p ON p.id = c.post_id JOIN social_accounts a ON a.id = c.account_id`;

/** A single-account post's delivery published: delivery, history row and post status in one statement. */
const PUBLISHED_ALONE_SQL = `
  WITH d AS (
    UPDATE deliveries SET status = 'published', remote_uri = $2, remote_cid = $3,
      published_at = coalesce(published_at, now()), last_error = NULL, updated_at = now()
    WHERE id = $1 RETURNING id
  ), ins AS (
    INSERT INTO delivery_attempts (delivery_id, attempt, outcome, error, started_at) VALUES ($1, $4, $5, NULL, $6)
  )
  UPDATE posts SET status = 'published', updated_at = now() WHERE id = $7 AND EXISTS (SELECT 1 FROM d)`;

/**
 * Marks a due delivery `publishing` (counting the attempt) and returns everything the
 * publish needs. Undefined when it is not due, already settled, missed, or gone: the caller
 * asks `deliveryState` why.
 */
export async function claimDelivery(db: Db, deliveryId: string, missedAfterHours: number): Promise<ClaimedDelivery | undefined> {
  const [r] = await prepared(db, "postmore_claim_delivery", CLAIM_SQL, [deliveryId, missedAfterHours]);
  if (!r) return undefined;
  const rkeys = (r.rkeys as string[]).length > 0 ? (r.rkeys as string[]) : [r.rkey as string];
  return {
    id: r.id as string,
    postId: r.post_id as string,
    accountId: r.account_id as string,
    accountStatus: r.account_status as string,
    accountHandle: r.handle as string,
    accountDid: r.did as string,
    accountService: r.service as string,
    accountCredentials: r.credentials as string,
    accessExpiresAt: r.access_expires_at ? new Date(r.access_expires_at as string | Date) : null,
    platform: r.platform as "bluesky",
    rkeys,
    recordCreatedAt: new Date(r.record_created_at as string | Date),
    attempt: r.attempts as number,
    text: r.text as string,
    content: (r.content ?? {}) as PostContentJson,
    siblings: r.siblings as number,
  };
}

export interface DeliveryState {
  status: DeliveryStatus;
  scheduledAt: Date;
  postId: string;
  /** True when the delivery is pending and later than the missed-post limit. */
  missed: boolean;
}

export async function deliveryState(db: Db, deliveryId: string, missedAfterHours: number): Promise<DeliveryState | undefined> {
  const [r] = await rows(
    db,
    sql`SELECT status, scheduled_at, post_id,
          (status = 'pending' AND scheduled_at < now() - make_interval(hours => ${missedAfterHours})) AS missed
        FROM deliveries WHERE id = ${deliveryId}`,
  );
  if (!r) return undefined;
  return {
    status: r.status as DeliveryStatus,
    scheduledAt: new Date(r.scheduled_at as string | Date),
    postId: r.post_id as string,
    missed: r.missed as boolean,
  };
}

/** The post's status, derived from its deliveries (cancelled ones count only when all are). */
const derivedPostStatus = (postId: string) => sql`(
  SELECT CASE
    WHEN count(*) FILTER (WHERE status <> 'cancelled') = 0 THEN 'cancelled'
    WHEN bool_or(status = 'publishing') THEN 'publishing'
    WHEN bool_or(status = 'pending') AND bool_or(status IN ('published', 'failed')) THEN 'publishing'
    WHEN bool_or(status = 'pending') THEN 'scheduled'
    WHEN bool_and(status IN ('published', 'cancelled')) THEN 'published'
    WHEN bool_and(status IN ('failed', 'cancelled')) THEN 'failed'
    ELSE 'partially_failed' END
  FROM deliveries WHERE post_id = ${postId})`;

/**
 * Recomputes a post's status. Runs after the post row is locked (FOR UPDATE) so two
 * deliveries of one post finishing together cannot leave a stale status behind.
 */
export async function refreshPostStatus(db: Db, postId: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`SELECT 1 FROM posts WHERE id = ${postId} FOR UPDATE`);
    await tx.execute(sql`UPDATE posts SET status = ${derivedPostStatus(postId)}, updated_at = now() WHERE id = ${postId}`);
  });
}

export interface AttemptResult {
  deliveryId: string;
  postId: string;
  siblings: number;
  attempt: number;
  startedAt: Date;
  outcome: AttemptOutcome;
  error?: string;
  remote?: { uri: string; cid: string };
}

const deliveryStatusFor: Record<AttemptOutcome, DeliveryStatus | undefined> = {
  published: "published",
  already_published: "published",
  failed: "failed",
  retry: undefined,
  rate_limited: undefined,
};

/**
 * Records one attempt: the history row, the delivery's new state and (when it settled)
 * the post's status — in one statement for a single-account post.
 */
export async function recordAttempt(db: Db, a: AttemptResult): Promise<void> {
  const settled = deliveryStatusFor[a.outcome];
  const error = a.error ?? null;
  const update = settled === "published"
    ? sql`UPDATE deliveries SET status = 'published', remote_uri = ${a.remote?.uri ?? null}, remote_cid = ${a.remote?.cid ?? null},
            published_at = coalesce(published_at, now()), last_error = NULL, updated_at = now()
          WHERE id = ${a.deliveryId} RETURNING id`
    : settled === "failed"
      ? sql`UPDATE deliveries SET status = 'failed', last_error = ${error}, updated_at = now()
            WHERE id = ${a.deliveryId} AND status <> 'published' RETURNING id`
      : sql`UPDATE deliveries SET last_error = ${error}, updated_at = now() WHERE id = ${a.deliveryId} RETURNING id`;
  const insertAttempt = sql`INSERT INTO delivery_attempts (delivery_id, attempt, outcome, error, started_at)
    VALUES (${a.deliveryId}, ${a.attempt}, ${a.outcome}, ${error}, ${a.startedAt.toISOString()})`;
  if (settled === "published" && a.siblings <= 1) {
    await prepared(db, "postmore_published_alone", PUBLISHED_ALONE_SQL, [
      a.deliveryId,
      a.remote?.uri ?? null,
      a.remote?.cid ?? null,
      a.attempt,
      a.outcome,
      a.startedAt,
      a.postId,
    ]);
    return;
  }
  if (settled && a.siblings <= 1) {
    await db.execute(sql`WITH d AS (${update}), ins AS (${insertAttempt})
      UPDATE posts SET status = ${settled}, updated_at = now() WHERE id = ${a.postId} AND EXISTS (SELECT 1 FROM d)`);
    return;
  }
  if (!settled) {
    await db.execute(sql`WITH d AS (${update}) ${insertAttempt}`);
    return;
  }
  // Delivery first, then the post (the order every writer uses). The status is computed in a
  // statement that starts after the post lock is ours, so it sees every sibling that finished.
  await db.transaction(async (tx) => {
    await tx.execute(sql`WITH d AS (${update}) ${insertAttempt}`);
    await tx.execute(sql`SELECT 1 FROM posts WHERE id = ${a.postId} FOR UPDATE`);
    await tx.execute(sql`UPDATE posts SET status = ${derivedPostStatus(a.postId)}, updated_at = now() WHERE id = ${a.postId}`);
  });
}

/** Pending deliveries later than the limit become failed "missed"; returns them so their jobs go too. */
export async function failMissedDeliveries(db: Db, missedAfterHours: number): Promise<Array<{ id: string; postId: string }>> {
  const found = await rows(
    db,
    sql`UPDATE deliveries SET status = 'failed', updated_at = now(),
          last_error = ${`missed: not published within ${missedAfterHours} h of its scheduled time (was the worker down?)`}
        WHERE status = 'pending' AND scheduled_at < now() - make_interval(hours => ${missedAfterHours})
        RETURNING id, post_id`,
  );
  return found.map((r) => ({ id: r.id as string, postId: r.post_id as string }));
}

/** Failed "missed" for one delivery (the worker found it too late). */
export async function failMissedDelivery(db: Db, deliveryId: string, missedAfterHours: number): Promise<void> {
  await db.execute(
    sql`UPDATE deliveries SET status = 'failed', updated_at = now(),
          last_error = ${`missed: not published within ${missedAfterHours} h of its scheduled time (was the worker down?)`}
        WHERE id = ${deliveryId} AND status = 'pending'`,
  );
}

/** Deliveries that should have a job: pending ones, and `publishing` ones untouched for a while. */
export async function deliveriesNeedingJobs(
  db: Db,
  opts: { stuckAfterSeconds: number; afterId?: string; limit: number },
): Promise<Array<{ id: string; status: DeliveryStatus; scheduledAt: Date }>> {
  const found = await rows(
    db,
    sql`SELECT id, status, scheduled_at FROM deliveries
        WHERE (status = 'pending' OR (status = 'publishing' AND updated_at < now() - make_interval(secs => ${opts.stuckAfterSeconds})))
          AND id > ${opts.afterId ?? "00000000-0000-0000-0000-000000000000"}
        ORDER BY id LIMIT ${opts.limit}`,
  );
  return found.map((r) => ({
    id: r.id as string,
    status: r.status as DeliveryStatus,
    scheduledAt: new Date(r.scheduled_at as string | Date),
  }));
}
