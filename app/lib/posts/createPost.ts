import { getPlatformService } from "../api/services/apiManager";
import type { AppContext } from "../context";
import {
  findOwnedAccounts,
  insertPostsWithDeliveries,
  insertPostWithDeliveries,
  type NewPost,
  type PostContentJson,
  type PostWithDeliveries,
} from "../db/queries/posts";
import { AppError } from "../errors";
import { checkRequestImages, discardCheckedImages, hasNewImages, storeCheckedImages, validationContent, type CheckedImage } from "../media/postImages";
import { checkRequestVideos, videoLoader } from "../media/postVideos";
import { checkPlatformLimits } from "./checkPlatformLimits";
import { enqueueDeliveries } from "./enqueueDeliveries";
import { postJson, type PostJson } from "./postJson";
import type { CreatePostBody } from "./schemas";
import { richContentOf } from "./rich";
import { requestedTime } from "./scheduledAt";
import { validateContent } from "./validateContent";

/**
 * Schedules a post to one or more accounts. Everything is validated before anything is
 * stored; the post and its deliveries (and images sent inline as base64) are stored in one
 * transaction, each delivery with the record keys and createdAt it will publish under (that
 * is what makes publishing idempotent).
 *
 * If the queue is down after the commit, the post is still created (201): the database is
 * the source of truth and the worker's reconciler enqueues pending deliveries that have no
 * job. Answering 503 would invite a client retry that creates the post twice.
 */
export async function createPost(ctx: AppContext, userId: string, body: CreatePostBody): Promise<PostJson> {
  const prepared = await preparePost(ctx, userId, body);
  const [stored] = await storePreparedPosts(ctx, [prepared]);
  await enqueueDeliveries(ctx, stored!.deliveries.map((d) => ({ deliveryId: d.id, scheduledAt: prepared.dueAt })));
  return postJson(stored!);
}

/** A post checked and ready to store: its images checked but new ones not stored yet. */
export interface PreparedPost extends Omit<NewPost, "content"> {
  /** Per segment (the first, then each of the thread). */
  images: Array<CheckedImage[] | undefined>;
  /** The content to store, with these images. */
  content<I>(images: Array<I[] | undefined>): PostContentJson<I>;
}

/** Every check of a new post (accounts, time, content, images), and the rows to store; stores nothing. */
export async function preparePost(ctx: AppContext, userId: string, body: CreatePostBody): Promise<PreparedPost> {
  const scheduledAt = requestedTime(body) ?? new Date();
  const rich = richContentOf(body);
  const accounts = await findOwnedAccounts(ctx.database.db, userId, body.accountIds);
  const platformOf = new Map(accounts.map((a) => [a.id, a.platform]));
  const known = new Set(platformOf.keys());
  const unknown = body.accountIds.filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new AppError("validation_failed", `unknown account${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}`, {
      accountIds: unknown,
    });
  }
  const inactive = accounts.filter((a) => a.status !== "active");
  if (inactive.length > 0) {
    throw new AppError(
      "unprocessable",
      `${inactive.map((a) => `@${a.handle} ${a.status === "disabled" ? "is disabled" : "needs reconnecting"}`).join(", ")}: reconnect on the Accounts page before posting`,
    );
  }
  // Posts hold references: ids checked to be the user's, base64 images prepared (stored with the post).
  // Videos are uploads already (POST /api/media): their ids are checked, nothing is stored.
  const [video, ...threadVideos] = await checkRequestVideos(ctx, userId, [body.video, ...(body.thread ?? []).map((s) => s.video)]);
  const images = await checkRequestImages(ctx, userId, [body.images, ...(body.thread ?? []).map((s) => s.images)]);
  const content = <I>([first, ...thread]: Array<I[] | undefined>): PostContentJson<I> => ({
    ...(body.langs?.length ? { langs: body.langs } : {}),
    ...(first?.length ? { images: first } : {}),
    ...(video ? { video } : {}),
    ...(body.thread?.length
      ? {
          thread: body.thread.map((s, i) => ({
            text: s.text,
            ...(thread[i]?.length ? { images: thread[i] } : {}),
            ...(threadVideos[i] ? { video: threadVideos[i] } : {}),
          })),
        }
      : {}),
    ...(rich ? { rich } : {}),
  });
  try {
    const checkable = content(images);
    const segments = await validationContent(ctx.database.db, body.text, checkable, await videoLoader(ctx, checkable));
    await validateContent(ctx, accounts, segments);
    await checkPlatformLimits(ctx, accounts, segments);
    // A time up to five minutes past means "publish now" (not "missed"): the deliveries are due now.
    const dueAt = new Date(Math.max(scheduledAt.getTime(), Date.now()));
    return {
      userId,
      text: body.text,
      images,
      content,
      scheduledAt,
      timeZone: body.timeZone ?? "UTC",
      dueAt,
      // The record says when it was really posted.
      recordCreatedAt: dueAt,
      // Each platform chooses its segment keys (Bluesky: record keys; Mastodon: Idempotency-Keys).
      deliveries: body.accountIds.map((accountId) => ({
        accountId,
        rkeys: getPlatformService(ctx, platformOf.get(accountId)!).newSegmentKeys(segments.segments.length),
      })),
    };
  } catch (err) {
    await discardCheckedImages(images);
    throw err;
  }
}

/**
 * Stores prepared posts in one transaction with the new images they name (files placed first,
 * rows in the transaction: see media/ingest.ts), and removes the temp files either way. A post
 * naming only uploads takes the one-statement insert.
 */
export async function storePreparedPosts(ctx: AppContext, prepared: PreparedPost[]): Promise<PostWithDeliveries[]> {
  const db = ctx.database.db;
  try {
    if (!prepared.some((p) => hasNewImages(p.images))) {
      const rows = await Promise.all(prepared.map(async (p) => ({ ...p, content: p.content(await storeCheckedImages(ctx.config.dataDir, db, p.userId, p.images)) })));
      return rows.length === 1 ? [await insertPostWithDeliveries(db, rows[0]!)] : await insertPostsWithDeliveries(db, rows);
    }
    return await insertPostsWithDeliveries(db, async (tx) => {
      const rows: NewPost[] = [];
      for (const p of prepared) rows.push({ ...p, content: p.content(await storeCheckedImages(ctx.config.dataDir, tx, p.userId, p.images)) });
      return rows;
    });
  } finally {
    await Promise.all(prepared.map((p) => discardCheckedImages(p.images)));
  }
}
