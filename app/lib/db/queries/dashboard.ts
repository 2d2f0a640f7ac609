import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../client";
import { deliveries, posts, socialAccounts, users, type SocialAccount } from "../schema";

/** The web dashboard's SQL: retrying a failed delivery and the admin's view of every account. */

export interface RetryTarget {
  id: string;
  postId: string;
  status: string;
  accountStatus: string;
  accountHandle: string;
}

/** A delivery with its account, when `userId` owns it (or any owner when userId is null: admins). */
export async function findDeliveryForRetry(db: Db, deliveryId: string, userId: string | null): Promise<RetryTarget | undefined> {
  const rows = await db
    .select({
      id: deliveries.id,
      postId: deliveries.postId,
      status: deliveries.status,
      accountStatus: socialAccounts.status,
      accountHandle: socialAccounts.handle,
    })
    .from(deliveries)
    .innerJoin(posts, eq(posts.id, deliveries.postId))
    .innerJoin(socialAccounts, eq(socialAccounts.id, deliveries.accountId))
    .where(and(eq(deliveries.id, deliveryId), userId === null ? undefined : eq(posts.userId, userId)))
    .limit(1);
  return rows[0];
}

/**
 * A failed delivery becomes pending again, due now. Its record key and createdAt stay, so a
 * retry of a delivery that did reach the platform still cannot post twice.
 * False when it is no longer failed (someone else retried it first).
 */
export async function resetFailedDelivery(db: Db, deliveryId: string): Promise<boolean> {
  const rows = await db
    .update(deliveries)
    .set({ status: "pending", scheduledAt: sql`now()`, rateLimitWaitedMs: 0, updatedAt: sql`now()` })
    .where(and(eq(deliveries.id, deliveryId), inArray(deliveries.status, ["failed", "partially_published"])))
    .returning({ id: deliveries.id });
  return rows.length > 0;
}

export type AccountWithOwner = SocialAccount & { ownerEmail: string };

/** Every account of every user, those that need attention first. */
export async function listAllAccounts(db: Db): Promise<AccountWithOwner[]> {
  const rows = await db
    .select({ account: socialAccounts, ownerEmail: users.email })
    .from(socialAccounts)
    .innerJoin(users, eq(users.id, socialAccounts.userId))
    .orderBy(
      sql`CASE ${socialAccounts.status} WHEN 'needs_reauth' THEN 0 WHEN 'disabled' THEN 1 ELSE 2 END`,
      asc(socialAccounts.handle),
    );
  return rows.map((r) => ({ ...r.account, ownerEmail: r.ownerEmail }));
}

export interface HourActivity {
  hour: Date;
  published: number;
  retried: number;
  failed: number;
}

/** Publish attempts per hour over the last `hours` hours, from the attempt history (every try is a row). */
export async function publishActivity(db: Db, hours: number): Promise<HourActivity[]> {
  const res = await db.execute(sql`
    SELECT date_trunc('hour', finished_at) AS hour,
      count(*) FILTER (WHERE outcome IN ('published', 'already_published'))::int AS published,
      count(*) FILTER (WHERE outcome IN ('retry', 'rate_limited'))::int AS retried,
      count(*) FILTER (WHERE outcome = 'failed')::int AS failed
    FROM delivery_attempts
    WHERE finished_at > date_trunc('hour', now()) - make_interval(hours => ${hours - 1})
    GROUP BY 1 ORDER BY 1`);
  return (res.rows as Array<Record<string, unknown>>).map((r) => ({
    hour: new Date(r.hour as string | Date),
    published: Number(r.published),
    retried: Number(r.retried),
    failed: Number(r.failed),
  }));
}
