import { and, asc, eq, gt } from "drizzle-orm";
import type { Db } from "../client";
import { socialAccounts, type SocialAccount } from "../schema";

/** What the token-refresh paths need to know about an account, without decrypting anything. */
export type AccountRefreshState = Pick<
  SocialAccount,
  "id" | "userId" | "platform" | "status" | "accessExpiresAt" | "lastRefreshedAt"
>;

export async function findAccountRefreshState(db: Db, id: string): Promise<AccountRefreshState | undefined> {
  const rows = await db
    .select({
      id: socialAccounts.id,
      userId: socialAccounts.userId,
      platform: socialAccounts.platform,
      status: socialAccounts.status,
      accessExpiresAt: socialAccounts.accessExpiresAt,
      lastRefreshedAt: socialAccounts.lastRefreshedAt,
    })
    .from(socialAccounts)
    .where(eq(socialAccounts.id, id))
    .limit(1);
  return rows[0];
}

/**
 * Ids of the active accounts of one platform, a page at a time in id order (keyset
 * pagination, so 10,000 accounts never sit in memory at once).
 */
export async function listActiveAccountIds(
  db: Db,
  platform: SocialAccount["platform"],
  opts: { after?: string; limit: number },
): Promise<string[]> {
  const conditions = [eq(socialAccounts.platform, platform), eq(socialAccounts.status, "active")];
  if (opts.after) conditions.push(gt(socialAccounts.id, opts.after));
  const rows = await db
    .select({ id: socialAccounts.id })
    .from(socialAccounts)
    .where(and(...conditions))
    .orderBy(asc(socialAccounts.id))
    .limit(opts.limit);
  return rows.map((r) => r.id);
}
