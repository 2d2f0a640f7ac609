import { and, asc, eq, getTableColumns, inArray, isNull, sql } from "drizzle-orm";
import type { Db } from "../client";
import { socialAccounts, type SocialAccount } from "../schema";

/** Everything the data layer writes about an account's session; `credentials` is already sealed. */
export interface AccountSessionValues {
  handle: string;
  service: string;
  credentials: string;
  accessExpiresAt: Date;
}

/**
 * Inserts the account, or — when this user already connected this DID — replaces its
 * session and makes it active again (reconnecting is how a person fixes needs_reauth).
 * `created` tells which happened (xmax is 0 only for a freshly inserted row).
 */
export async function upsertAccount(
  db: Db,
  values: AccountSessionValues & { userId: string; platform: SocialAccount["platform"]; did: string },
): Promise<{ account: SocialAccount; created: boolean }> {
  const now = new Date();
  const rows = await db
    .insert(socialAccounts)
    .values({ ...values, status: "active", lastRefreshedAt: now })
    .onConflictDoUpdate({
      target: [socialAccounts.userId, socialAccounts.platform, socialAccounts.did],
      set: {
        handle: values.handle,
        service: values.service,
        credentials: values.credentials,
        accessExpiresAt: values.accessExpiresAt,
        status: "active",
        lastRefreshedAt: now,
        lastError: null,
        lastErrorAt: null,
        updatedAt: now,
      },
    })
    .returning({ ...getTableColumns(socialAccounts), created: sql<boolean>`(xmax = 0)` });
  const row = rows[0];
  if (!row) throw new Error("upsert into social_accounts returned no row");
  const { created, ...account } = row;
  return { account, created };
}

export async function listAccountsOfUser(db: Db, userId: string): Promise<SocialAccount[]> {
  return db
    .select()
    .from(socialAccounts)
    .where(eq(socialAccounts.userId, userId))
    .orderBy(asc(socialAccounts.createdAt), asc(socialAccounts.id));
}

export async function findAccountOfUser(db: Db, userId: string, id: string): Promise<SocialAccount | undefined> {
  const rows = await db
    .select()
    .from(socialAccounts)
    .where(and(eq(socialAccounts.id, id), eq(socialAccounts.userId, userId)))
    .limit(1);
  return rows[0];
}

export async function findAccountById(db: Db, id: string): Promise<SocialAccount | undefined> {
  const rows = await db.select().from(socialAccounts).where(eq(socialAccounts.id, id)).limit(1);
  return rows[0];
}

/** Deletes the account (its deliveries go with it: ON DELETE CASCADE). */
export async function deleteAccountOfUser(db: Db, userId: string, id: string): Promise<boolean> {
  const rows = await db
    .delete(socialAccounts)
    .where(and(eq(socialAccounts.id, id), eq(socialAccounts.userId, userId)))
    .returning({ id: socialAccounts.id });
  return rows.length > 0;
}

/** New tokens after a refresh or re-login: the account works again. */
export async function updateAccountSession(db: Db, id: string, values: AccountSessionValues): Promise<boolean> {
  const now = new Date();
  const rows = await db
    .update(socialAccounts)
    .set({ ...values, status: "active", lastRefreshedAt: now, lastError: null, lastErrorAt: null, updatedAt: now })
    .where(eq(socialAccounts.id, id))
    .returning({ id: socialAccounts.id });
  return rows.length > 0;
}

/** Records what went wrong; `status` also changes when given (needs_reauth, disabled). */
export async function setAccountError(
  db: Db,
  id: string,
  error: { message: string; status?: SocialAccount["status"] },
): Promise<boolean> {
  const now = new Date();
  const rows = await db
    .update(socialAccounts)
    .set({
      lastError: error.message,
      lastErrorAt: now,
      updatedAt: now,
      ...(error.status ? { status: error.status } : {}),
    })
    .where(eq(socialAccounts.id, id))
    .returning({ id: socialAccounts.id });
  return rows.length > 0;
}

/** Handles by account id, disconnected accounts included (their published posts stay listed). */
export async function handlesOf(db: Db, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.select({ id: socialAccounts.id, handle: socialAccounts.handle }).from(socialAccounts).where(inArray(socialAccounts.id, ids));
  return new Map(rows.map((r) => [r.id, r.handle]));
}
