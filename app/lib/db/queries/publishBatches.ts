import type { Pool } from "pg";
import { createBatcher, type Batched } from "../batcher";
import type { Db } from "../client";
import type { PostContentJson } from "./posts";

/**
 * The two writes every publish makes — the claim and the "published" record — go through one
 * lane per database: whatever claims and records the worker's concurrent jobs have waiting
 * are sent together as ONE statement (see batcher.ts), a named prepared statement that
 * PostgreSQL plans once per connection. Measured here, a statement's fixed cost (round trip,
 * executor start, commit) outweighs its rows: two single-row statements per delivery cost
 * ~2.4 ms of PostgreSQL CPU on the loaded 2-core machine, batches of five ~0.65 ms.
 */

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

async function prepared(db: Db, name: string, text: string, values: unknown[]): Promise<Row[]> {
  // drizzle() keeps the pg Pool it was given as $client (its type just does not say so).
  const client = (db as Db & { $client?: Pool }).$client;
  if (!client) throw new Error("the database handle has no pg client to prepare statements on");
  const res = await client.query<Row>({ name, text, values });
  return res.rows;
}

/** Jobs in flight per worker are at most its concurrency; a batch never needs to be larger. */
const MAX_BATCH = 200;

/**
 * $1/$2: deliveries to claim and the missed-post limit of each. $3…$8: single-account
 * deliveries to record as published. A delivery being recorded is never claimed in the same
 * statement (a duplicate job would otherwise update one row twice): its claim comes back
 * empty and that job finds the delivery settled.
 *
 * The statement runs on a generic plan (the pool sets plan_cache_mode, see client.ts):
 * re-planning it per call cost PostgreSQL as much as running it. Rows are found with
 * `id = ANY(array)`, which a generic plan serves from the primary key whatever the sizes.
 */
const LANE_SQL = `
  WITH claimed AS (
    UPDATE deliveries d SET status = 'publishing', attempts = d.attempts + 1, updated_at = now()
    WHERE d.id = ANY($1::uuid[])
      AND d.id <> ALL($3::uuid[])
      AND d.status IN ('pending', 'publishing')
      AND d.scheduled_at <= now() + interval '2 seconds'
      AND NOT (d.status = 'pending'
        AND d.scheduled_at < now() - make_interval(hours => ($2::int[])[array_position($1::uuid[], d.id)]))
    RETURNING d.id, d.post_id, d.account_id, d.rkeys, d.rkey, d.record_created_at, d.attempts
  ), post_claimed AS (
    UPDATE posts SET status = 'publishing', updated_at = now()
    WHERE id IN (SELECT post_id FROM claimed) AND status = 'scheduled'
  ), published_input AS (
    SELECT * FROM unnest($3::uuid[], $4::text[], $5::text[], $6::int[], $7::text[], $8::timestamptz[])
      AS t(id, uri, cid, attempt, outcome, started_at)
  ), published AS (
    UPDATE deliveries SET status = 'published', remote_uri = i.uri, remote_cid = i.cid,
      published_at = coalesce(published_at, now()), last_error = NULL, updated_at = now()
    FROM published_input i WHERE deliveries.id = ANY($3::uuid[]) AND deliveries.id = i.id RETURNING deliveries.post_id
  ), attempts AS (
    INSERT INTO delivery_attempts (delivery_id, attempt, outcome, error, started_at)
    SELECT id, attempt, outcome, NULL, started_at FROM published_input
  ), post_published AS (
    UPDATE posts SET status = 'published', updated_at = now() WHERE id IN (SELECT post_id FROM published)
  )
  SELECT c.id, c.post_id, c.account_id, c.rkeys, c.rkey, c.record_created_at, c.attempts,
         p.text, p.content, a.status AS account_status, a.handle, a.platform,
         a.did, a.service, a.credentials, a.access_expires_at,
         (SELECT count(*) FROM deliveries s WHERE s.post_id = c.post_id)::int AS siblings
  FROM claimed c JOIN posts p ON p.id = c.post_id JOIN social_accounts a ON a.id = c.account_id`;

const claimedFrom = (r: Row): ClaimedDelivery => ({
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
  rkeys: (r.rkeys as string[]).length > 0 ? (r.rkeys as string[]) : [r.rkey as string],
  recordCreatedAt: new Date(r.record_created_at as string | Date),
  attempt: r.attempts as number,
  text: r.text as string,
  content: (r.content ?? {}) as PostContentJson,
  siblings: r.siblings as number,
});

export interface PublishedAlone {
  deliveryId: string;
  remote?: { uri: string; cid: string };
  attempt: number;
  outcome: "published" | "already_published";
  startedAt: Date;
}

type LaneOp = { kind: "claim"; deliveryId: string; missedAfterHours: number } | ({ kind: "published" } & PublishedAlone);
type LaneResult = ClaimedDelivery | undefined;

async function runLane(db: Db, ops: LaneOp[]): Promise<LaneResult[]> {
  const claims = ops.filter((o) => o.kind === "claim");
  const records = ops.filter((o) => o.kind === "published");
  const found = await prepared(db, "postmore_publish_lane", LANE_SQL, [
    claims.map((c) => c.deliveryId),
    claims.map((c) => c.missedAfterHours),
    records.map((r) => r.deliveryId),
    records.map((r) => r.remote?.uri ?? null),
    records.map((r) => r.remote?.cid ?? null),
    records.map((r) => r.attempt),
    records.map((r) => r.outcome),
    records.map((r) => r.startedAt),
  ]);
  const byId = new Map(found.map((r) => [r.id as string, r]));
  return ops.map((op) => {
    if (op.kind !== "claim") return undefined;
    // The same delivery twice in one batch (a duplicate job): the first caller has the claim,
    // the second finds it `publishing` and leaves it to the first.
    const r = byId.get(op.deliveryId);
    byId.delete(op.deliveryId);
    return r ? claimedFrom(r) : undefined;
  });
}

const lanes = new WeakMap<Db, Batched<LaneOp, LaneResult>>();

function laneOf(db: Db): Batched<LaneOp, LaneResult> {
  let lane = lanes.get(db);
  if (!lane) {
    lane = createBatcher<LaneOp, LaneResult>((ops) => runLane(db, ops), { maxSize: MAX_BATCH });
    lanes.set(db, lane);
  }
  return lane;
}

/**
 * Marks a due delivery `publishing` (counting the attempt) and returns everything the
 * publish needs. Undefined when it is not due, already settled, missed, or gone: the caller
 * asks `deliveryState` why.
 */
export function claimDelivery(db: Db, deliveryId: string, missedAfterHours: number): Promise<ClaimedDelivery | undefined> {
  return laneOf(db)({ kind: "claim", deliveryId, missedAfterHours });
}

/** Records the publish of a delivery that is its post's only one (the common case). */
export async function recordPublishedAlone(db: Db, a: PublishedAlone): Promise<void> {
  await laneOf(db)({ kind: "published", ...a });
}
