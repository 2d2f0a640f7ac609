import { and, eq, gt, lt, ne, or } from "drizzle-orm";
import type { Db } from "../client";
import { sessions, users, type User } from "../schema";

export async function insertSession(db: Db, values: { id: string; userId: string; expiresAt: Date }): Promise<void> {
  await db.insert(sessions).values(values);
}

/** The user of a session that is neither past its absolute expiry nor idle since before `idleSince`. */
export async function findSessionUser(
  db: Db,
  id: string,
  now: Date,
  idleSince: Date,
): Promise<{ user: User; lastSeenAt: Date } | undefined> {
  const rows = await db
    .select({ user: users, lastSeenAt: sessions.lastSeenAt })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.id, id), gt(sessions.expiresAt, now), gt(sessions.lastSeenAt, idleSince)))
    .limit(1);
  return rows[0];
}

export async function touchSession(db: Db, id: string, now: Date): Promise<void> {
  await db.update(sessions).set({ lastSeenAt: now }).where(eq(sessions.id, id));
}

export async function deleteSession(db: Db, id: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.id, id));
}

/** Ends every session of a user, except `keepId` when given. Returns how many ended. */
export async function deleteUserSessions(db: Db, userId: string, keepId?: string): Promise<number> {
  const where = keepId ? and(eq(sessions.userId, userId), ne(sessions.id, keepId)) : eq(sessions.userId, userId);
  const rows = await db.delete(sessions).where(where).returning({ id: sessions.id });
  return rows.length;
}

export async function deleteExpiredSessions(db: Db, now: Date, idleSince: Date): Promise<number> {
  const rows = await db
    .delete(sessions)
    .where(or(lt(sessions.expiresAt, now), lt(sessions.lastSeenAt, idleSince)))
    .returning({ id: sessions.id });
  return rows.length;
}
