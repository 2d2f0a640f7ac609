import type { Pool } from "pg";
import { createBatcher, type Batched } from "../batcher";
import type { Db } from "../client";
import type { PostContentJson } from "./posts";

/**
 * The two statements every publish runs — the claim and the "published" record — batched
 * across the worker's concurrent jobs (see batcher.ts) and sent as named prepared
 * statements, so PostgreSQL parses and plans each once per connection. The round trips and
 * commits are the pipeline's cost; batching divides them by the number of jobs in flight.
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
const MAX_BATCH = 100;

const CLAIM_SQL = `
  WITH claimed AS (
    UPDATE deliveries d SET status = 'publishing', attempts = d.attempts + 1, updated_at = now()
    WHERE d.id = ANY($1::uuid[])
      AND d.status IN ('pending', 'publishing')
      AND d.scheduled_at <= now() + interval '2 seconds'
      AND NOT (d.status = 'pending' AND d.scheduled_at < now() - make_interval(hours => $2::int))
    RETURNING d.id, d.post_id, d.account_id, d.rkeys, d.rkey, d.record_created_at, d.attempts
  ), post_status AS (
    UPDATE posts SET status = 'publishing', updated_at = now()
    WHERE id IN (SELECT post_id FROM claimed) AND status = 'scheduled'
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

/** A single-account post's deliveries published: deliveries, history rows and post statuses in one statement. */
const PUBLISHED_ALONE_SQL = `
  WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[], $6::timestamptz[])
      AS t(id, uri, cid, attempt, outcome, started_at)
  ), d AS (
    UPDATE deliveries SET status = 'published', remote_uri = i.uri, remote_cid = i.cid,
      published_at = coalesce(published_at, now()), last_error = NULL, updated_at = now()
    FROM input i WHERE deliveries.id = i.id RETURNING deliveries.post_id
  ), ins AS (
    INSERT INTO delivery_attempts (delivery_id, attempt, outcome, error, started_at)
    SELECT id, attempt, outcome, NULL, started_at FROM input
  )
  UPDATE posts SET status = 'published', updated_at = now() WHERE id IN (SELECT post_id FROM d)`;

export interface PublishedAlone {
  deliveryId: string;
  remote?: { uri: string; cid: string };
  attempt: number;
  outcome: "published" | "already_published";
  startedAt: Date;
}

interface Batchers {
  claims: Map<number, Batched<string, ClaimedDelivery | undefined>>;
  published: Batched<PublishedAlone, void>;
}

const perDb = new WeakMap<Db, Batchers>();

function batchersOf(db: Db): Batchers {
  let b = perDb.get(db);
  if (!b) {
    const published = createBatcher<PublishedAlone, void>(
      async (items) => {
        await prepared(db, "postmore_published_alone", PUBLISHED_ALONE_SQL, [
          items.map((a) => a.deliveryId),
          items.map((a) => a.remote?.uri ?? null),
          items.map((a) => a.remote?.cid ?? null),
          items.map((a) => a.attempt),
          items.map((a) => a.outcome),
          items.map((a) => a.startedAt),
        ]);
        return items.map(() => undefined);
      },
      { maxSize: MAX_BATCH },
    );
    b = { claims: new Map(), published };
    perDb.set(db, b);
  }
  return b;
}

function claimBatcher(db: Db, missedAfterHours: number): Batched<string, ClaimedDelivery | undefined> {
  const claims = batchersOf(db).claims;
  let claim = claims.get(missedAfterHours);
  if (!claim) {
    claim = createBatcher<string, ClaimedDelivery | undefined>(
      async (ids) => {
        const found = await prepared(db, "postmore_claim_deliveries", CLAIM_SQL, [ids, missedAfterHours]);
        const byId = new Map(found.map((r) => [r.id as string, r]));
        // The same delivery twice in one batch (a duplicate job): the first caller has the claim,
        // the second finds it `publishing` and leaves it to the first.
        return ids.map((id) => {
          const r = byId.get(id);
          byId.delete(id);
          return r ? claimedFrom(r) : undefined;
        });
      },
      { maxSize: MAX_BATCH },
    );
    claims.set(missedAfterHours, claim);
  }
  return claim;
}

/**
 * Marks a due delivery `publishing` (counting the attempt) and returns everything the
 * publish needs. Undefined when it is not due, already settled, missed, or gone: the caller
 * asks `deliveryState` why.
 */
export function claimDelivery(db: Db, deliveryId: string, missedAfterHours: number): Promise<ClaimedDelivery | undefined> {
  return claimBatcher(db, missedAfterHours)(deliveryId);
}

/** Records the publish of a delivery that is its post's only one (the common case). */
export function recordPublishedAlone(db: Db, a: PublishedAlone): Promise<void> {
  return batchersOf(db).published(a);
}
