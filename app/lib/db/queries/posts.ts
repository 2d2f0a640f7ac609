import { and, asc, desc, eq, exists, inArray, lt, or, sql } from "drizzle-orm";
import type { Db } from "../client";
import { deliveries, deliveryAttempts, posts, socialAccounts, type Delivery, type DeliveryAttempt, type Post } from "../schema";

/** What `posts.content` holds beyond the first segment's text (images are base64, as sent). */
export interface PostContentJson {
  langs?: string[];
  images?: Array<{ data: string; mimeType: string; alt: string }>;
  thread?: Array<{ text: string; images?: Array<{ data: string; mimeType: string; alt: string }> }>;
}

export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
type Q = Db | Tx;

export interface PostWithDeliveries {
  post: Post;
  deliveries: Delivery[];
}

export async function findOwnedAccounts(db: Q, userId: string, ids: string[]) {
  if (ids.length === 0) return [];
  return db
    .select({ id: socialAccounts.id, status: socialAccounts.status, platform: socialAccounts.platform, handle: socialAccounts.handle })
    .from(socialAccounts)
    .where(and(eq(socialAccounts.userId, userId), inArray(socialAccounts.id, ids)));
}

export interface NewPost {
  userId: string;
  text: string;
  content: PostContentJson;
  scheduledAt: Date;
  timeZone: string;
  /** When the deliveries are due: scheduledAt, or now when that is past (past = publish now). */
  dueAt: Date;
  recordCreatedAt: Date;
  deliveries: Array<{ accountId: string; rkeys: string[] }>;
}

/** The post and one delivery per account, in one transaction: both exist or neither. */
export async function insertPostWithDeliveries(db: Db, input: NewPost): Promise<PostWithDeliveries> {
  return db.transaction(async (tx) => {
    const [post] = await tx
      .insert(posts)
      .values({ userId: input.userId, text: input.text, content: input.content, scheduledAt: input.scheduledAt, timeZone: input.timeZone })
      .returning();
    if (!post) throw new Error("insert into posts returned no row");
    const rows = await tx
      .insert(deliveries)
      .values(
        input.deliveries.map((d) => ({
          postId: post.id,
          accountId: d.accountId,
          rkey: d.rkeys[0] ?? "",
          rkeys: d.rkeys,
          recordCreatedAt: input.recordCreatedAt,
          scheduledAt: input.dueAt,
        })),
      )
      .returning();
    return { post, deliveries: rows };
  });
}

async function deliveriesOf(db: Q, postIds: string[]): Promise<Map<string, Delivery[]>> {
  const byPost = new Map<string, Delivery[]>();
  if (postIds.length === 0) return byPost;
  const rows = await db.select().from(deliveries).where(inArray(deliveries.postId, postIds)).orderBy(asc(deliveries.createdAt), asc(deliveries.id));
  for (const d of rows) byPost.set(d.postId, [...(byPost.get(d.postId) ?? []), d]);
  return byPost;
}

/** One post of one user (undefined for someone else's post: callers answer 404 either way). */
export async function findUserPost(db: Q, userId: string, postId: string): Promise<PostWithDeliveries | undefined> {
  const [post] = await db.select().from(posts).where(and(eq(posts.id, postId), eq(posts.userId, userId)));
  if (!post) return undefined;
  return { post, deliveries: (await deliveriesOf(db, [post.id])).get(post.id) ?? [] };
}

/**
 * Same, with the post and its deliveries locked until the transaction ends. Locks are taken
 * deliveries first, then the post — the order the worker uses — so the two never deadlock.
 */
export async function lockUserPost(tx: Tx, userId: string, postId: string): Promise<PostWithDeliveries | undefined> {
  const [owned] = await tx.select({ id: posts.id }).from(posts).where(and(eq(posts.id, postId), eq(posts.userId, userId)));
  if (!owned) return undefined;
  const rows = await tx.select().from(deliveries).where(eq(deliveries.postId, postId)).orderBy(asc(deliveries.createdAt), asc(deliveries.id)).for("update");
  const [post] = await tx.select().from(posts).where(eq(posts.id, postId)).for("update");
  return post ? { post, deliveries: rows } : undefined;
}

export async function attemptsOf(db: Q, deliveryIds: string[]): Promise<DeliveryAttempt[]> {
  if (deliveryIds.length === 0) return [];
  return db.select().from(deliveryAttempts).where(inArray(deliveryAttempts.deliveryId, deliveryIds)).orderBy(asc(deliveryAttempts.id));
}

export interface ListFilter {
  limit: number;
  /** Keyset: posts strictly after (scheduledAt, id) in newest-first order. */
  after?: { scheduledAt: Date; id: string };
  status?: Post["status"];
  accountId?: string;
}

/** Newest scheduled first, keyset-paginated on (scheduled_at, id). */
export async function listUserPosts(db: Q, userId: string, f: ListFilter): Promise<PostWithDeliveries[]> {
  const conditions = [eq(posts.userId, userId)];
  if (f.status) conditions.push(eq(posts.status, f.status));
  if (f.accountId) {
    const accountId = f.accountId;
    conditions.push(
      exists(db.select({ one: sql`1` }).from(deliveries).where(and(eq(deliveries.postId, posts.id), eq(deliveries.accountId, accountId)))),
    );
  }
  if (f.after) {
    const c = or(lt(posts.scheduledAt, f.after.scheduledAt), and(eq(posts.scheduledAt, f.after.scheduledAt), lt(posts.id, f.after.id)));
    if (c) conditions.push(c);
  }
  // One round trip: the page of posts (the index gives it in order, LIMIT stops early) joined
  // to its deliveries, instead of a second query for them.
  const page = db.select().from(posts).where(and(...conditions)).orderBy(desc(posts.scheduledAt), desc(posts.id)).limit(f.limit).as("page");
  const rows = await db
    .select({
      post: {
        id: page.id,
        userId: page.userId,
        text: page.text,
        content: page.content,
        scheduledAt: page.scheduledAt,
        timeZone: page.timeZone,
        status: page.status,
        createdAt: page.createdAt,
        updatedAt: page.updatedAt,
      },
      delivery: deliveries,
    })
    .from(page)
    .leftJoin(deliveries, eq(deliveries.postId, page.id))
    .orderBy(desc(page.scheduledAt), desc(page.id), asc(deliveries.createdAt), asc(deliveries.id));
  const out: PostWithDeliveries[] = [];
  for (const r of rows) {
    let last = out[out.length - 1];
    if (last?.post.id !== r.post.id) out.push((last = { post: r.post, deliveries: [] }));
    if (r.delivery) last.deliveries.push(r.delivery);
  }
  return out;
}

/** New text and/or time for a post whose deliveries are all still pending. */
export async function updatePendingPost(
  tx: Tx,
  postId: string,
  patch: { text?: string; timeZone?: string; scheduledAt?: Date; dueAt?: Date; recordCreatedAt?: Date },
): Promise<void> {
  const now = new Date();
  await tx
    .update(posts)
    .set({
      ...(patch.text !== undefined ? { text: patch.text } : {}),
      ...(patch.timeZone ? { timeZone: patch.timeZone } : {}),
      ...(patch.scheduledAt ? { scheduledAt: patch.scheduledAt } : {}),
      updatedAt: now,
    })
    .where(eq(posts.id, postId));
  if (patch.dueAt || patch.recordCreatedAt) {
    await tx
      .update(deliveries)
      .set({
        ...(patch.dueAt ? { scheduledAt: patch.dueAt } : {}),
        ...(patch.recordCreatedAt ? { recordCreatedAt: patch.recordCreatedAt } : {}),
        updatedAt: now,
      })
      .where(and(eq(deliveries.postId, postId), eq(deliveries.status, "pending")));
  }
}

/** Cancels a post's pending deliveries and the post itself. */
export async function cancelPendingPost(tx: Tx, postId: string): Promise<void> {
  const now = new Date();
  await tx
    .update(deliveries)
    .set({ status: "cancelled", updatedAt: now })
    .where(and(eq(deliveries.postId, postId), eq(deliveries.status, "pending")));
  await tx.update(posts).set({ status: "cancelled", updatedAt: now }).where(eq(posts.id, postId));
}
