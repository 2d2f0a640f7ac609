import { and, asc, eq, gt } from "drizzle-orm";
import type { PoolClient, QueryResult } from "pg";
import type { Db } from "../client";
import type { AccountSessionValues } from "./accounts";
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

/*
 * The refresh's hot path: two round trips per account on a client the caller holds.
 * node-postgres cannot pipeline, and only the simple protocol (which takes no parameters)
 * carries several statements in one message, so these few statements are built as text:
 * the id is checked against the uuid pattern and every other value goes through
 * escapeLiteral. The lock is PostgreSQL's transaction-level advisory lock on the same key
 * the session-level account lock uses (accounts/lock.ts), so the two exclude each other;
 * COMMIT stores the new tokens and releases the lock in one step, and a dropped connection
 * rolls back and releases it.
 */

/** The account row as the refresh reads it under the lock (credentials still sealed). */
export type LockedAccountRow = AccountRefreshState & Pick<SocialAccount, "did" | "handle" | "service" | "credentials">;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function uuidLiteral(id: string): string {
  if (!UUID.test(id)) throw new Error(`not a uuid: ${JSON.stringify(id)}`);
  return `'${id}'`;
}

/**
 * BEGIN, then the account's advisory lock if it is free, then the row read under it, in one
 * round trip. "busy": someone else holds the lock (the transaction is already rolled back).
 * Otherwise the transaction stays open, holding the lock, until commitRefreshedSession or
 * endLockedRefresh; `row` is undefined when the account no longer exists.
 */
export async function beginLockedRefresh(
  client: PoolClient,
  lockNamespace: number,
  lockKey: string,
  accountId: string,
): Promise<"busy" | { row: LockedAccountRow | undefined }> {
  const id = uuidLiteral(accountId);
  const results = (await client.query(
    `BEGIN;
     SELECT pg_try_advisory_xact_lock(${lockNamespace | 0}, hashtext(${client.escapeLiteral(lockKey)})) AS locked;
     SELECT id, user_id AS "userId", platform, status, did, handle, service, credentials,
            access_expires_at AS "accessExpiresAt", last_refreshed_at AS "lastRefreshedAt"
       FROM social_accounts WHERE id = ${id}`,
  )) as unknown as QueryResult[];
  if (results[1]?.rows[0]?.locked !== true) {
    await client.query("ROLLBACK");
    return "busy";
  }
  return { row: results[2]?.rows[0] as LockedAccountRow | undefined };
}

/** Stores the new session (tokens sealed by the caller), makes the account active and commits, which releases the lock. False when the row is gone. */
export async function commitRefreshedSession(
  client: PoolClient,
  accountId: string,
  values: AccountSessionValues & { refreshedAt: Date },
): Promise<boolean> {
  const lit = (v: string) => client.escapeLiteral(v);
  const at = lit(values.refreshedAt.toISOString());
  const results = (await client.query(
    `UPDATE social_accounts
        SET handle = ${lit(values.handle)}, service = ${lit(values.service)}, credentials = ${lit(values.credentials)},
            access_expires_at = ${values.accessExpiresAt ? lit(values.accessExpiresAt.toISOString()) : "NULL"}, status = 'active',
            last_refreshed_at = ${at}, last_error = NULL, last_error_at = NULL, updated_at = ${at}
      WHERE id = ${uuidLiteral(accountId)};
     COMMIT`,
  )) as unknown as QueryResult[];
  return (results[0]?.rowCount ?? 0) > 0;
}

/** Ends the transaction without writing (nothing to refresh, or the refresh failed): releases the lock. */
export async function endLockedRefresh(client: PoolClient): Promise<void> {
  await client.query("ROLLBACK");
}
