import { and, eq, gt } from "drizzle-orm";
import type { Db } from "../client";
import { sessions, users, type User } from "../schema";

export async function insertSession(db: Db, values: { id: string; userId: string; expiresAt: Date }): Promise<void> {
  await db.insert(sessions).values(values);
}

export async function findUserBySessionId(db: Db, id: string, now: Date): Promise<User | undefined> {
  const rows = await db
    .select({ user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.id, id), gt(sessions.expiresAt, now)))
    .limit(1);
  return rows[0]?.user;
}

export async function deleteSession(db: Db, id: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.id, id));
}
