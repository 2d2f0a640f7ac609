import { and, asc, desc, eq, exists, getTableColumns, gte, inArray, lt, or, sql, type Column } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import type { Pool } from "pg";
import type { Db } from "../client";
import type { RichContent } from "../../api/rich";
import * as schema from "../schema";
import { deliveries, deliveryAttempts, posts, socialAccounts, type Delivery, type DeliveryAttempt, type Post } from "../schema";

/** An image of a post: a reference to one of its owner's media rows (mimeType copied for lists). */
export interface StoredImage {
  mediaId: string;
  mimeType: string;
  alt: string;
}
/** How images were stored before media by reference; lib/media/migrateLegacyImages moves them out. */
export interface LegacyImage {
  data: string;
  mimeType: string;
  alt: string;
}
export type PostImageJson = StoredImage | LegacyImage;

/** branch video: a segment's video and its caption files, references to its owner's media rows. */
export interface StoredVideo {
  mediaId: string;
  mimeType: string;
  alt: string;
  captions?: Array<{ lang: string; mediaId: string }>;
}

/** What `posts.content` holds beyond the first segment's text (images and video by reference). */
export interface PostContentJson<I = PostImageJson> {
  langs?: string[];
  images?: I[];
  video?: StoredVideo;
  thread?: Array<{ text: string; images?: I[]; video?: StoredVideo }>;
  /** Link cards, quotes, labels, gates; a repost's subject (contract v1.3). */
  rich?: RichContent;
}

export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
type Q = Db | Tx;

export interface PostWithDeliveries {
  post: Post;
  deliveries: Delivery[];
}

// Built once per database handle, sent as a named prepared statement: POST /api/posts runs
// it on every request, and Drizzle's query building cost more CPU than the query itself.
const prepareOwnedAccounts = (db: Q) =>
  db
    .select({ id: socialAccounts.id, status: socialAccounts.status, platform: socialAccounts.platform, handle: socialAccounts.handle, instanceUrl: socialAccounts.instanceUrl })
    .from(socialAccounts)
    .where(and(eq(socialAccounts.userId, sql.placeholder("userId")), sql`${socialAccounts.id} = ANY(${sql.placeholder("ids")}::uuid[])`))
    .prepare("find_owned_accounts");
const ownedAccountsQueries = new WeakMap<Q, ReturnType<typeof prepareOwnedAccounts>>();

export async function findOwnedAccounts(db: Q, userId: string, ids: string[]) {
  if (ids.length === 0) return [];
  let query = ownedAccountsQueries.get(db);
  if (!query) ownedAccountsQueries.set(db, (query = prepareOwnedAccounts(db)));
  return query.execute({ userId, ids });
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

/** A `to_jsonb(row)` of `table` (column names as keys) as Drizzle would have returned the row. */
function fromJsonRow<T>(columns: Record<string, Column>, row: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(columns)) {
    const value = row[column.name];
    out[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return out as T;
}

const INSERT_POST_WITH_DELIVERIES = `
  WITH p AS (
    INSERT INTO posts (user_id, text, content, scheduled_at, time_zone)
    VALUES ($1, $2, $3::jsonb, $4::timestamptz, $5)
    RETURNING *
  ), d AS (
    INSERT INTO deliveries (post_id, account_id, rkey, rkeys, record_created_at, scheduled_at)
    SELECT p.id, x.account_id, coalesce(x.rkeys[1], ''), x.rkeys, $6::timestamptz, $7::timestamptz
    FROM p CROSS JOIN ROWS FROM (jsonb_to_recordset($8::jsonb) AS (account_id uuid, rkeys text[])) WITH ORDINALITY AS x(account_id, rkeys, ord)
    ORDER BY x.ord
    RETURNING *
  )
  SELECT to_jsonb(p) AS post, (SELECT coalesce(jsonb_agg(to_jsonb(d)), '[]'::jsonb) FROM d) AS deliveries FROM p`;

/**
 * The post and one delivery per account in ONE statement (both exist or neither: a single
 * statement is atomic): one round trip instead of BEGIN, two INSERTs and COMMIT. It runs on
 * every POST /api/posts, so it is a named prepared statement: the server parses and plans it
 * once per connection. (Drizzle cannot name raw SQL; node-postgres, its `$client`, can.)
 */
export async function insertPostWithDeliveries(db: Db, input: NewPost): Promise<PostWithDeliveries> {
  return insertOn((db as Db & { $client: Pool }).$client, input);
}

/**
 * Several posts in one transaction (a bulk import): all of them are stored, or none. Given a
 * function, it runs first in the same transaction and says what to insert (it stores the
 * media the posts name, so a post and its new images are stored together or not at all).
 */
export async function insertPostsWithDeliveries(db: Db, inputs: NewPost[] | ((tx: Db) => Promise<NewPost[]>)): Promise<PostWithDeliveries[]> {
  const client = await (db as Db & { $client: Pool }).$client.connect();
  try {
    await client.query("BEGIN");
    const out: PostWithDeliveries[] = [];
    for (const input of typeof inputs === "function" ? await inputs(drizzle({ client, schema })) : inputs) out.push(await insertOn(client, input));
    await client.query("COMMIT");
    return out;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

async function insertOn(client: Pick<Pool, "query">, input: NewPost): Promise<PostWithDeliveries> {
  const { rows } = await client.query<{ post: Record<string, unknown>; deliveries: Array<Record<string, unknown>> }>({
    name: "insert_post_with_deliveries",
    text: INSERT_POST_WITH_DELIVERIES,
    values: [
      input.userId,
      input.text,
      JSON.stringify(input.content),
      input.scheduledAt.toISOString(),
      input.timeZone,
      input.recordCreatedAt.toISOString(),
      input.dueAt.toISOString(),
      JSON.stringify(input.deliveries.map((d) => ({ account_id: d.accountId, rkeys: d.rkeys }))),
    ],
  });
  const row = rows[0];
  if (!row) throw new Error("insert into posts returned no row");
  return {
    post: fromJsonRow<Post>(getTableColumns(posts), row.post),
    deliveries: row.deliveries.map((d) => fromJsonRow<Delivery>(getTableColumns(deliveries), d)),
  };
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
  /** scheduledAt in [from, to). */
  from?: Date;
  to?: Date;
  /** Scheduled reposts (contract v1.3) are posts whose content names a repost subject; lists show one kind. */
  kind?: "post" | "repost";
}

/** True for a scheduled repost's row. */
export const isRepostRow = sql<boolean>`coalesce(${posts.content} -> 'rich' ? 'repost', false)`;

// The content a list needs: texts and image metadata, without the base64 bytes (up to 4 images
// per segment, 25 segments) that a poll every few seconds would otherwise drag out of the
// database on each call. The bytes are read one image at a time by findUserPostImage.
const contentWithoutImageBytes = sql<PostContentJson>`CASE WHEN posts.content ?| array['images','thread'] THEN posts.content || jsonb_build_object(
  'images', (SELECT jsonb_agg(i - 'data') FROM jsonb_array_elements(coalesce(posts.content->'images', '[]'::jsonb)) i),
  'thread', (SELECT jsonb_agg(s || jsonb_build_object('images', (SELECT jsonb_agg(i - 'data') FROM jsonb_array_elements(coalesce(s->'images', '[]'::jsonb)) i)))
             FROM jsonb_array_elements(coalesce(posts.content->'thread', '[]'::jsonb)) s)
) ELSE posts.content END`;

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
  if (f.from) conditions.push(gte(posts.scheduledAt, f.from));
  if (f.to) conditions.push(lt(posts.scheduledAt, f.to));
  if (f.kind) conditions.push(f.kind === "repost" ? isRepostRow : sql`NOT ${isRepostRow}`);
  if (f.after) {
    const c = or(lt(posts.scheduledAt, f.after.scheduledAt), and(eq(posts.scheduledAt, f.after.scheduledAt), lt(posts.id, f.after.id)));
    if (c) conditions.push(c);
  }
  // One round trip: the page of posts (the index gives it in order, LIMIT stops early) joined
  // to its deliveries, instead of a second query for them.
  const page = db
    .select({ ...getTableColumns(posts), content: contentWithoutImageBytes.as("content") })
    .from(posts)
    .where(and(...conditions)).orderBy(desc(posts.scheduledAt), desc(posts.id)).limit(f.limit).as("page");
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

/** The stored image `n` of segment `segment` (0 = the first post) of one user's post. */
export async function findUserPostImage(db: Q, userId: string, postId: string, segment: number, n: number) {
  const path = segment === 0 ? ["images", String(n)] : ["thread", String(segment - 1), "images", String(n)];
  const [row] = await db
    .select({ image: sql<{ mediaId?: unknown; data?: unknown; mimeType?: unknown } | null>`${posts.content} #> ${`{${path.join(",")}}`}::text[]` })
    .from(posts)
    .where(and(eq(posts.id, postId), eq(posts.userId, userId)));
  return row?.image ?? undefined;
}

/** New text and/or time for a post whose deliveries are all still pending. */
export async function updatePendingPost(
  tx: Tx,
  postId: string,
  patch: { text?: string; content?: PostContentJson; timeZone?: string; scheduledAt?: Date; dueAt?: Date; recordCreatedAt?: Date },
): Promise<void> {
  const now = new Date();
  await tx
    .update(posts)
    .set({
      ...(patch.text !== undefined ? { text: patch.text } : {}),
      ...(patch.content !== undefined ? { content: patch.content } : {}),
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
