import { sql } from "drizzle-orm";
import type { Db } from "../db/client";

export const LATENESS_BUCKETS_SECONDS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600] as const;

export interface DeliveryCount {
  platform: string;
  status: string;
  n: number;
}

/** Deliveries per platform and status (published, failed, … — the outcomes users see). */
export async function deliveryCounts(db: Db): Promise<DeliveryCount[]> {
  const rows = await db.execute<{ platform: string; status: string; n: number }>(sql`
    select a.platform, d.status, count(*)::int as n
    from deliveries d join social_accounts a on a.id = d.account_id
    group by a.platform, d.status`);
  return rows.rows;
}

/** Cumulative lateness histogram (published_at − scheduled_at) over every published delivery. */
export async function latenessHistogram(db: Db): Promise<{ buckets: number[]; count: number; sum: number }> {
  const bucketExprs = LATENESS_BUCKETS_SECONDS.map(
    (le) => sql`count(*) filter (where lateness <= ${le})::int`,
  );
  const rows = await db.execute<Record<string, number>>(sql`
    with l as (
      select greatest(extract(epoch from (published_at - scheduled_at)), 0)::float8 as lateness
      from deliveries where status = 'published' and published_at is not null)
    select ${sql.join(
      bucketExprs.map((e, i) => sql`${e} as ${sql.raw(`b${i}`)}`),
      sql`, `,
    )}, count(*)::int as count, coalesce(sum(lateness), 0)::float8 as sum from l`);
  const row = rows.rows[0] ?? {};
  return {
    buckets: LATENESS_BUCKETS_SECONDS.map((_, i) => Number(row[`b${i}`] ?? 0)),
    count: Number(row.count ?? 0),
    sum: Number(row.sum ?? 0),
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
  const rows = await db.execute<{ platform: string; status: string; with_error: number; n: number }>(sql`
    select platform, status, count(*) filter (where last_error is not null)::int as with_error, count(*)::int as n
    from social_accounts group by platform, status`);
  return rows.rows.map((r) => ({ platform: r.platform, status: r.status, withError: r.with_error, n: r.n }));
}
