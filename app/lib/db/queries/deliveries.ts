import { and, asc, eq, exists, gt, gte, lt, ne, or, sql } from "drizzle-orm";
import type { Pool } from "pg";
import type { PlatformName } from "../../api/platform";
import type { Db } from "../client";
import { deliveries, deliveryAttempts, posts, type SegmentRecord } from "../schema";
import type { PostContentJson } from "./posts";

/**
 * The post worker's SQL. Each step of a publish is one statement where it can be, because
 * at concurrency 5 the round trips are the pipeline's cost.
 */

export type DeliveryStatus = "pending" | "publishing" | "published" | "partially_published" | "failed" | "cancelled";
export type AttemptOutcome = "published" | "already_published" | "retry" | "rate_limited" | "failed";

export interface ClaimedDelivery {
  id: string;
  postId: string;
  accountId: string;
  accountStatus: string;
  accountHandle: string;
  accountRemoteId: string;
  accountInstanceUrl: string;
  /** Sealed (encrypted) credentials, opened only when the token is fresh enough to use as is. */
  accountCredentials: string;
  accountCredentialsKind: "app_password" | "oauth";
  accessExpiresAt: Date | null;
  platform: PlatformName;
  rkeys: string[];
  recordCreatedAt: Date;
  attempt: number;
  text: string;
  content: PostContentJson;
  /** Thread segments an earlier attempt already put on the platform (publishing continues after them). */
  segmentRecords: SegmentRecord[];
  /** Rate-limit waits this delivery has taken so far. */
  rateLimitWaitedMs: number;
  /** Deliveries of the same post (1 = the post status follows this delivery alone). */
  siblings: number;
}

type Row = Record<string, unknown>;

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

/**
 * The claim waits on PATCH's row locks (PATCH locks the deliveries, then the post). The post's
 * text is read through an UPDATE ... RETURNING of the post row, not a join: an UPDATE that
 * waited for a lock returns the row as the other transaction committed it, whereas a join
 * would read the statement's snapshot — the text from before the edit (issue 12, item 1).
 */
const CLAIM_SQL = `
  WITH claimed AS (
    UPDATE deliveries d SET status = 'publishing', attempts = d.attempts + 1, waiting_until = NULL, updated_at = now()
    WHERE d.id = $1
      AND d.status IN ('pending', 'publishing')
      AND d.scheduled_at <= now() + interval '2 seconds'
      AND NOT (d.status = 'pending' AND d.scheduled_at < now() - make_interval(hours => $2::int))
    RETURNING d.id, d.post_id, d.account_id, d.rkeys, d.rkey, d.record_created_at, d.attempts, d.segment_records,
              d.rate_limit_waited_ms
  ), post_row AS (
    UPDATE posts SET status = CASE WHEN status = 'scheduled' THEN 'publishing' ELSE status END,
      updated_at = CASE WHEN status = 'scheduled' THEN now() ELSE updated_at END
    WHERE id = (SELECT post_id FROM claimed)
    RETURNING id, text, content
  )
  SELECT c.id, c.post_id, c.account_id, c.rkeys, c.rkey, c.record_created_at, c.attempts, c.segment_records,
         c.rate_limit_waited_ms, p.text, p.content, a.status AS account_status, a.handle, a.platform,
         a.remote_id, a.instance_url, a.credentials, a.credentials_kind, a.access_expires_at,
         (SELECT count(*) FROM deliveries s WHERE s.post_id = c.post_id)::int AS siblings
  FROM claimed c JOIN post_row p ON p.id = c.post_id JOIN social_accounts a ON a.id = c.account_id`;

/**
 * A single-account post's delivery published: delivery, history row and post status in one
 * statement. Kept as raw SQL (STYLE.md's exception): the same statement as a typed Drizzle
 * prepared query cost 20–23 % more CPU per delivery on the PostgreSQL backend in an A/B of
 * `npm run bench -- post-pipeline --concurrency 5 --pg durable` (docs/BENCHMARKS.md, branch perf).
 */
const PUBLISHED_ALONE_SQL = `
  WITH d AS (
    UPDATE deliveries SET status = 'published', remote_uri = $2, remote_cid = $3, segment_records = $8::jsonb,
      published_at = coalesce(published_at, now()), last_error = NULL, waiting_until = NULL, failure_code = NULL, updated_at = now()
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
    accountRemoteId: r.remote_id as string,
    accountInstanceUrl: r.instance_url as string,
    accountCredentials: r.credentials as string,
    accountCredentialsKind: r.credentials_kind as "app_password" | "oauth",
    accessExpiresAt: r.access_expires_at ? new Date(r.access_expires_at as string | Date) : null,
    platform: r.platform as PlatformName,
    rkeys,
    recordCreatedAt: new Date(r.record_created_at as string | Date),
    attempt: r.attempts as number,
    text: r.text as string,
    content: (r.content ?? {}) as PostContentJson,
    segmentRecords: (r.segment_records ?? []) as SegmentRecord[],
    rateLimitWaitedMs: Number(r.rate_limit_waited_ms ?? 0),
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

/** Pending and older than the missed-post limit (PostgreSQL's clock decides, as in the claim). */
const missedSince = (hours: number) => sql`now() - make_interval(hours => ${hours})`;

export async function deliveryState(db: Db, deliveryId: string, missedAfterHours: number): Promise<DeliveryState | undefined> {
  const [r] = await db
    .select({
      status: deliveries.status,
      scheduledAt: deliveries.scheduledAt,
      postId: deliveries.postId,
      missed: sql<boolean>`(${deliveries.status} = 'pending' AND ${deliveries.scheduledAt} < ${missedSince(missedAfterHours)})`,
    })
    .from(deliveries)
    .where(eq(deliveries.id, deliveryId));
  return r;
}

/** The post's status, derived from its deliveries (cancelled ones count only when all are). */
export const derivedPostStatus = (postId: string) => sql`(
  SELECT CASE
    WHEN count(*) FILTER (WHERE status <> 'cancelled') = 0 THEN 'cancelled'
    WHEN bool_or(status = 'publishing') THEN 'publishing'
    WHEN bool_or(status = 'pending') AND bool_or(status IN ('published', 'partially_published', 'failed')) THEN 'publishing'
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
    await tx.select({ id: posts.id }).from(posts).where(eq(posts.id, postId)).for("update");
    await tx.update(posts).set({ status: sql`${derivedPostStatus(postId)}`, updatedAt: sql`now()` }).where(eq(posts.id, postId));
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
  remote?: { uri: string; cid?: string };
  /** The thread segments live after this attempt (in order); kept as they were when absent. */
  segments?: SegmentRecord[];
  /** With outcome "failed": "reauth" when only reconnecting the account can fix it (retried on reconnect). */
  failureCode?: "reauth";
}

/**
 * Records one attempt: the history row, the delivery's new state and (when it settled)
 * the post's status — in one statement for a single-account post. A failure after some
 * segments went live settles as `partially_published` (its post `partially_failed`), with
 * the first live segment as the delivery's remote URI.
 */
export async function recordAttempt(db: Db, a: AttemptResult): Promise<void> {
  const partial = a.outcome === "failed" && (a.segments?.length ?? 0) > 0;
  const settled: DeliveryStatus | undefined =
    a.outcome === "published" || a.outcome === "already_published" ? "published" : a.outcome === "failed" ? (partial ? "partially_published" : "failed") : undefined;
  const error = a.error ?? null;
  const segments = a.segments ? JSON.stringify(a.segments) : null;
  if (settled === "published" && a.siblings <= 1) {
    await prepared(db, "postmore_published_alone", PUBLISHED_ALONE_SQL, [
      a.deliveryId,
      a.remote?.uri ?? null,
      a.remote?.cid ?? null,
      a.attempt,
      a.outcome,
      a.startedAt,
      a.postId,
      segments ?? "[]",
    ]);
    return;
  }
  const first = a.segments?.[0];
  const keptSegments = sql`coalesce(${segments}::jsonb, ${deliveries.segmentRecords})`;
  const update = settled === "published"
    ? db.update(deliveries).set({
        status: "published",
        remoteUri: a.remote?.uri ?? null,
        remoteCid: a.remote?.cid ?? null,
        segmentRecords: keptSegments,
        publishedAt: sql`coalesce(${deliveries.publishedAt}, now())`,
        lastError: null,
        waitingUntil: null,
        failureCode: null,
        updatedAt: sql`now()`,
      }).where(eq(deliveries.id, a.deliveryId))
    : settled
      ? db.update(deliveries).set({
          status: settled,
          lastError: error,
          waitingUntil: null,
          failureCode: a.failureCode ?? null,
          segmentRecords: keptSegments,
          remoteUri: sql`coalesce(${first?.uri ?? null}, ${deliveries.remoteUri})`,
          remoteCid: sql`coalesce(${first?.cid ?? null}, ${deliveries.remoteCid})`,
          updatedAt: sql`now()`,
        }).where(and(eq(deliveries.id, a.deliveryId), ne(deliveries.status, "published")))
      : db.update(deliveries).set({ lastError: error, segmentRecords: keptSegments, updatedAt: sql`now()` }).where(eq(deliveries.id, a.deliveryId));
  // The history row goes in with the delivery's change, in the same statement (a CTE).
  const d = db.$with("d").as(update.returning({ id: deliveries.id }));
  const attemptRow = { deliveryId: a.deliveryId, attempt: a.attempt, outcome: a.outcome, error, startedAt: a.startedAt };
  if (!settled) {
    await db.with(d).insert(deliveryAttempts).values(attemptRow);
    return;
  }
  if (a.siblings <= 1) {
    const ins = db.$with("ins").as(db.insert(deliveryAttempts).values(attemptRow).returning({ id: deliveryAttempts.id }));
    const postStatus = settled === "partially_published" ? "partially_failed" : settled;
    await db
      .with(d, ins)
      .update(posts)
      .set({ status: postStatus, updatedAt: sql`now()` })
      .where(and(eq(posts.id, a.postId), exists(db.select().from(d))));
    return;
  }
  // Delivery first, then the post (the order every writer uses). The status is computed in a
  // statement that starts after the post lock is ours, so it sees every sibling that finished.
  await db.transaction(async (tx) => {
    await tx.with(tx.$with("d").as(update.returning({ id: deliveries.id }))).insert(deliveryAttempts).values(attemptRow);
    await tx.select({ id: posts.id }).from(posts).where(eq(posts.id, a.postId)).for("update");
    await tx.update(posts).set({ status: sql`${derivedPostStatus(a.postId)}`, updatedAt: sql`now()` }).where(eq(posts.id, a.postId));
  });
}

/**
 * A rate-limited attempt: the history row, and the delivery waits until `until`. While it waits
 * it is `pending` again, so the user can cancel it like any scheduled delivery — unless part of
 * a thread is already live (then it stays `publishing`: a live post is never cancelled away).
 */
export async function recordRateLimitWait(db: Db, a: AttemptResult, until: Date, waitMs: number): Promise<void> {
  const segments = a.segments ? JSON.stringify(a.segments) : null;
  const kept = sql`coalesce(${segments}::jsonb, ${deliveries.segmentRecords})`;
  const d = db.$with("d").as(
    db
      .update(deliveries)
      .set({
        waitingUntil: until,
        rateLimitWaitedMs: sql`${deliveries.rateLimitWaitedMs} + ${waitMs}`,
        status: sql`CASE WHEN jsonb_array_length(${kept}) = 0 THEN 'pending' ELSE ${deliveries.status} END`,
        segmentRecords: kept,
        lastError: a.error ?? null,
        updatedAt: sql`now()`,
      })
      .where(and(eq(deliveries.id, a.deliveryId), eq(deliveries.status, "publishing")))
      .returning({ id: deliveries.id }),
  );
  await db
    .with(d)
    .insert(deliveryAttempts)
    .values({ deliveryId: a.deliveryId, attempt: a.attempt, outcome: "rate_limited", error: a.error ?? null, startedAt: a.startedAt });
}

/** Pending deliveries later than the limit become failed "missed"; returns them so their jobs go too. */
const missedFailure = (missedAfterHours: number) => ({
  status: "failed" as const,
  updatedAt: sql`now()`,
  lastError: `missed: not published within ${missedAfterHours} h of its scheduled time (was the worker down?)`,
});

export async function failMissedDeliveries(db: Db, missedAfterHours: number): Promise<Array<{ id: string; postId: string }>> {
  return db
    .update(deliveries)
    .set(missedFailure(missedAfterHours))
    .where(and(eq(deliveries.status, "pending"), lt(deliveries.scheduledAt, missedSince(missedAfterHours))))
    .returning({ id: deliveries.id, postId: deliveries.postId });
}

/** Failed "missed" for one delivery (the worker found it too late). */
export async function failMissedDelivery(db: Db, deliveryId: string, missedAfterHours: number): Promise<void> {
  await db
    .update(deliveries)
    .set(missedFailure(missedAfterHours))
    .where(and(eq(deliveries.id, deliveryId), eq(deliveries.status, "pending")));
}

/** Deliveries that should have a job: pending ones, and `publishing` ones untouched for a while. */
export async function deliveriesNeedingJobs(
  db: Db,
  opts: { stuckAfterSeconds: number; afterId?: string; limit: number },
): Promise<Array<{ id: string; status: DeliveryStatus; scheduledAt: Date }>> {
  return db
    .select({ id: deliveries.id, status: deliveries.status, scheduledAt: deliveries.scheduledAt })
    .from(deliveries)
    .where(
      and(
        or(
          eq(deliveries.status, "pending"),
          and(eq(deliveries.status, "publishing"), lt(deliveries.updatedAt, sql`now() - make_interval(secs => ${opts.stuckAfterSeconds})`)),
        ),
        gt(deliveries.id, opts.afterId ?? "00000000-0000-0000-0000-000000000000"),
      ),
    )
    .orderBy(asc(deliveries.id))
    .limit(opts.limit);
}

/**
 * After an account is reconnected: its deliveries that failed only because it needed
 * reconnecting, and are still inside the missed-post limit, become pending again (due now).
 * Returns them (with their posts) so their jobs can be added and post statuses recomputed.
 */
export async function resetDeliveriesFailedForReauth(
  db: Db,
  accountId: string,
  missedAfterHours: number,
): Promise<Array<{ id: string; postId: string }>> {
  return db
    .update(deliveries)
    .set({
      status: "pending",
      scheduledAt: sql`now()`,
      failureCode: null,
      rateLimitWaitedMs: 0,
      lastError: "retried after the account was reconnected",
      updatedAt: sql`now()`,
    })
    .where(
      and(
        eq(deliveries.accountId, accountId),
        eq(deliveries.status, "failed"),
        eq(deliveries.failureCode, "reauth"),
        gte(deliveries.scheduledAt, missedSince(missedAfterHours)),
      ),
    )
    .returning({ id: deliveries.id, postId: deliveries.postId });
}
