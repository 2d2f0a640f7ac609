import { and, eq, isNull, lt, or } from "drizzle-orm";
import type { Db } from "../client";
import { idempotencyKeys } from "../schema";

export type IdempotencyKeyRow = typeof idempotencyKeys.$inferSelect;

type Reservation = { userId: string; key: string; requestHash: string; lockedUntil: Date };

const sameKey = (userId: string, key: string) => and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key));

/** Inserts the reservation; false when the key is already there (the primary key decides, so one of any number of racers wins). */
export async function reserveIdempotencyKey(db: Db, r: Reservation): Promise<boolean> {
  const rows = await db.insert(idempotencyKeys).values(r).onConflictDoNothing().returning({ key: idempotencyKeys.key });
  return rows.length > 0;
}

export async function findIdempotencyKey(db: Db, userId: string, key: string): Promise<IdempotencyKeyRow | undefined> {
  const rows = await db.select().from(idempotencyKeys).where(sameKey(userId, key)).limit(1);
  return rows[0];
}

/**
 * Claims a row whose first request can no longer answer: one of the same request still
 * unanswered after its lease (its process died), or any row older than `expiredBefore`. The
 * conditions are re-checked in the UPDATE, so of several claimants exactly one succeeds.
 */
export async function takeOverIdempotencyKey(db: Db, r: Reservation & { now: Date; expiredBefore: Date }): Promise<boolean> {
  const rows = await db
    .update(idempotencyKeys)
    .set({ requestHash: r.requestHash, lockedUntil: r.lockedUntil, responseStatus: null, responseBody: null, responseType: null, createdAt: r.now })
    .where(
      and(
        sameKey(r.userId, r.key),
        or(
          lt(idempotencyKeys.createdAt, r.expiredBefore),
          and(isNull(idempotencyKeys.responseStatus), eq(idempotencyKeys.requestHash, r.requestHash), lt(idempotencyKeys.lockedUntil, r.now)),
        ),
      ),
    )
    .returning({ key: idempotencyKeys.key });
  return rows.length > 0;
}

// Completing and releasing match the holder's own lease end (a fencing token): a holder that
// outlived its lease and was taken over must not overwrite or free the new holder's row.
const heldBy = (r: Reservation) => and(sameKey(r.userId, r.key), isNull(idempotencyKeys.responseStatus), eq(idempotencyKeys.lockedUntil, r.lockedUntil));

export async function completeIdempotencyKey(db: Db, r: Reservation, response: { status: number; body: string; type: string | null }): Promise<void> {
  await db
    .update(idempotencyKeys)
    .set({ responseStatus: response.status, responseBody: response.body, responseType: response.type })
    .where(heldBy(r));
}

/** Frees the key of a request that failed (nothing to replay: the caller may try again with it). */
export async function releaseIdempotencyKey(db: Db, r: Reservation): Promise<void> {
  await db.delete(idempotencyKeys).where(heldBy(r));
}

/** Keys past their 24 h: the hourly purge removes them. */
export async function deleteExpiredIdempotencyKeys(db: Db, expiredBefore: Date): Promise<number> {
  const rows = await db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, expiredBefore)).returning({ key: idempotencyKeys.key });
  return rows.length;
}
