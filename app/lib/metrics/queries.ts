import { and, count, eq, isNotNull, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { deliveries, socialAccounts } from "../db/schema";

export const LATENESS_BUCKETS_SECONDS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600] as const;

export interface DeliveryCount {
  platform: string;
  status: string;
  n: number;
}

/** Deliveries per platform and status (published, failed, … — the outcomes users see). */
export async function deliveryCounts(db: Db): Promise<DeliveryCount[]> {
  return db
    .select({ platform: socialAccounts.platform, status: deliveries.status, n: count() })
    .from(deliveries)
    .innerJoin(socialAccounts, eq(socialAccounts.id, deliveries.accountId))
    .groupBy(socialAccounts.platform, deliveries.status);
}

/** Cumulative lateness histogram (published_at − scheduled_at) over every published delivery. */
export async function latenessHistogram(db: Db): Promise<{ buckets: number[]; count: number; sum: number }> {
  const late = db.$with("l").as(
    db
      .select({ lateness: sql<number>`greatest(extract(epoch from (${deliveries.publishedAt} - ${deliveries.scheduledAt})), 0)::float8`.as("lateness") })
      .from(deliveries)
      .where(and(eq(deliveries.status, "published"), isNotNull(deliveries.publishedAt))),
  );
  // One cumulative bucket column each: b0 = lateness ≤ 0.1 s, …
  const buckets: Record<`b${number}`, SQL<number>> = {};
  for (const [i, le] of LATENESS_BUCKETS_SECONDS.entries()) {
    buckets[`b${i}`] = sql<number>`count(*) filter (where ${late.lateness} <= ${le})`.mapWith(Number);
  }
  const [row] = await db
    .with(late)
    .select({ buckets, count: count(), sum: sql<number>`coalesce(sum(${late.lateness}), 0)::float8`.mapWith(Number) })
    .from(late);
  return {
    buckets: LATENESS_BUCKETS_SECONDS.map((_, i) => Number(row?.buckets[`b${i}`] ?? 0)),
    count: Number(row?.count ?? 0),
    sum: Number(row?.sum ?? 0),
  };
}

export interface AccountCount {
  platform: string;
  status: string;
  withError: number;
  n: number;
}

/** Accounts per platform and status, and how many carry a refresh/publish error. */
export async function accountCounts(db: Db): Promise<AccountCount[]> {
  return db
    // count(column) counts the rows where it is not null: the accounts with an error.
    .select({ platform: socialAccounts.platform, status: socialAccounts.status, withError: count(socialAccounts.lastError), n: count() })
    .from(socialAccounts)
    .groupBy(socialAccounts.platform, socialAccounts.status);
}
