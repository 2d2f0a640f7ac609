import { and, asc, eq, getTableColumns, inArray, isNull, sql } from "drizzle-orm";
import type { Db } from "../client";
import { deliveries, posts, socialAccounts, type SocialAccount } from "../schema";
import { derivedPostStatus } from "./deliveries";

/** Everything the data layer writes about an account's session; `credentials` is already sealed. */
export interface AccountSessionValues {
  handle: string;
  instanceUrl: string;
  credentials: string;
  /** Null: the token never expires. */
  accessExpiresAt: Date | null;
}

/**
 * Inserts the account, or — when this user already connected this DID — replaces its
 * session and makes it active again (reconnecting is how a person fixes needs_reauth).
 * `created` tells which happened (xmax is 0 only for a freshly inserted row).
 */
export async function upsertAccount(
  db: Db,
  values: AccountSessionValues & {
    userId: string;
    platform: SocialAccount["platform"];
    remoteId: string;
    credentialsKind?: SocialAccount["credentialsKind"];
  },
): Promise<{ account: SocialAccount; created: boolean }> {
  const now = new Date();
  const rows = await db
    .insert(socialAccounts)
    .values({ ...values, status: "active", lastRefreshedAt: now })
    .onConflictDoUpdate({
      target: [socialAccounts.userId, socialAccounts.platform, socialAccounts.remoteId],
      set: {
        handle: values.handle,
        instanceUrl: values.instanceUrl,
        credentials: values.credentials,
        accessExpiresAt: values.accessExpiresAt,
        ...(values.credentialsKind ? { credentialsKind: values.credentialsKind } : {}),
        status: "active",
        lastRefreshedAt: now,
        lastError: null,
        lastErrorAt: null,
        disconnectedAt: null,
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
    .where(and(eq(socialAccounts.userId, userId), isNull(socialAccounts.disconnectedAt)))
    .orderBy(asc(socialAccounts.createdAt), asc(socialAccounts.id));
}

export async function findAccountOfUser(db: Db, userId: string, id: string): Promise<SocialAccount | undefined> {
  const rows = await db
    .select()
    .from(socialAccounts)
    .where(and(eq(socialAccounts.id, id), eq(socialAccounts.userId, userId), isNull(socialAccounts.disconnectedAt)))
    .limit(1);
  return rows[0];
}

export async function findAccountById(db: Db, id: string): Promise<SocialAccount | undefined> {
  const rows = await db.select().from(socialAccounts).where(eq(socialAccounts.id, id)).limit(1);
  return rows[0];
}

export type DisconnectOutcome =
  | { kind: "not_found" }
  /** A delivery of the account is being published right now: nothing was changed. */
  | { kind: "busy" }
  | { kind: "disconnected"; cancelled: Array<{ id: string; postId: string }> };

export const DISCONNECTED_ERROR = "account disconnected";

/**
 * Disconnects the account in one transaction: its pending deliveries become cancelled ("account
 * disconnected"), their posts' statuses are recomputed, the credentials are erased and the row
 * is kept (soft delete) so published deliveries and their history keep the handle. Locks the
 * account, then its open deliveries, then their posts — deliveries before posts, the order the
 * worker's claim and PATCH use. A delivery already `publishing` makes it "busy" (no change).
 */
export async function disconnectAccountOfUser(db: Db, userId: string, id: string): Promise<DisconnectOutcome> {
  return db.transaction(async (tx) => {
    const owned = await tx
      .select({ id: socialAccounts.id })
      .from(socialAccounts)
      .where(and(eq(socialAccounts.id, id), eq(socialAccounts.userId, userId), isNull(socialAccounts.disconnectedAt)))
      .for("update");
    if (owned.length === 0) return { kind: "not_found" } as const;
    const open = await tx
      .select({ id: deliveries.id, postId: deliveries.postId, status: deliveries.status })
      .from(deliveries)
      .where(and(eq(deliveries.accountId, id), inArray(deliveries.status, ["pending", "publishing"])))
      .orderBy(asc(deliveries.id))
      .for("update");
    if (open.some((d) => d.status === "publishing")) return { kind: "busy" } as const;
    const cancelled = open.map((d) => ({ id: d.id, postId: d.postId }));
    if (cancelled.length > 0) {
      await tx
        .update(deliveries)
        .set({ status: "cancelled", lastError: DISCONNECTED_ERROR, waitingUntil: null, updatedAt: sql`now()` })
        .where(inArray(deliveries.id, cancelled.map((d) => d.id)));
      for (const postId of [...new Set(cancelled.map((d) => d.postId))].sort()) {
        await tx.select({ id: posts.id }).from(posts).where(eq(posts.id, postId)).for("update");
        await tx.update(posts).set({ status: derivedPostStatus(postId), updatedAt: sql`now()` }).where(eq(posts.id, postId));
      }
    }
    await tx
      .update(socialAccounts)
      .set({ disconnectedAt: new Date(), credentials: "", accessExpiresAt: null, status: "disabled", lastError: DISCONNECTED_ERROR, updatedAt: new Date() })
      .where(eq(socialAccounts.id, id));
    return { kind: "disconnected", cancelled } as const;
  });
}

/** New tokens after a refresh or re-login: the account works again. Returns the stored refresh time, undefined when the row is gone. */
export async function updateAccountSession(db: Db, id: string, values: AccountSessionValues): Promise<Date | undefined> {
  const now = new Date();
  const rows = await db
    .update(socialAccounts)
    .set({ ...values, status: "active", lastRefreshedAt: now, lastError: null, lastErrorAt: null, updatedAt: now })
    .where(eq(socialAccounts.id, id))
    .returning({ id: socialAccounts.id });
  return rows.length > 0 ? now : undefined;
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
