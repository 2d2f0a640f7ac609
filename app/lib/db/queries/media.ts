import { and, eq, inArray } from "drizzle-orm";
import type { Db } from "../client";
import { media, type Media } from "../schema";

type Q = Pick<Db, "select" | "insert">;

export type NewMedia = Omit<Media, "id" | "createdAt">;

/** The user's row for these bytes: a new one, or the one an earlier upload of the same bytes made. */
export async function insertMedia(db: Q, row: NewMedia): Promise<{ media: Media; created: boolean }> {
  const [created] = await db.insert(media).values(row).onConflictDoNothing({ target: [media.userId, media.sha256] }).returning();
  if (created) return { media: created, created: true };
  const [existing] = await db.select().from(media).where(and(eq(media.userId, row.userId), eq(media.sha256, row.sha256)));
  if (!existing) throw new Error("media row vanished between insert and select");
  return { media: existing, created: false };
}

/** One of the user's media (undefined for someone else's: callers answer 404 either way). */
export async function findUserMedia(db: Q, userId: string, id: string): Promise<Media | undefined> {
  const [row] = await db.select().from(media).where(and(eq(media.id, id), eq(media.userId, userId)));
  return row;
}

/** Those of `ids` that belong to the user. */
export async function findUserMediaByIds(db: Q, userId: string, ids: string[]): Promise<Media[]> {
  if (ids.length === 0) return [];
  return db.select().from(media).where(and(eq(media.userId, userId), inArray(media.id, ids)));
}

/** Rows by id, whoever owns them (the worker: the post was checked against its owner when created). */
export async function findMediaByIds(db: Q, ids: string[]): Promise<Media[]> {
  if (ids.length === 0) return [];
  return db.select().from(media).where(inArray(media.id, ids));
}
