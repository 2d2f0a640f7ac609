import { getPlatformService } from "../api/services/apiManager";
import type { AppContext } from "../context";
import { findOwnedAccounts, insertPostWithDeliveries, type NewPost, type PostContentJson } from "../db/queries/posts";
import { AppError } from "../errors";
import { loadPostContent, storeRequestImages } from "../media/postImages";
import { storeRequestVideos } from "../media/postVideos";
import { checkPlatformLimits } from "./checkPlatformLimits";
import { enqueueDeliveries } from "./enqueueDeliveries";
import { postJson, type PostJson } from "./postJson";
import type { CreatePostBody } from "./schemas";
import { richContentOf } from "./rich";
import { requestedTime } from "./scheduledAt";
import { validateContent } from "./validateContent";

/**
 * Schedules a post to one or more accounts. Everything is validated before anything is
 * stored; the post and its deliveries are stored in one transaction, each delivery with the
 * record keys and createdAt it will publish under (that is what makes publishing idempotent).
 *
 * If the queue is down after the commit, the post is still created (201): the database is
 * the source of truth and the worker's reconciler enqueues pending deliveries that have no
 * job. Answering 503 would invite a client retry that creates the post twice.
 */
export async function createPost(ctx: AppContext, userId: string, body: CreatePostBody): Promise<PostJson> {
  const prepared = await preparePost(ctx, userId, body);
  const stored = await insertPostWithDeliveries(ctx.database.db, prepared);
  await enqueueDeliveries(ctx, stored.deliveries.map((d) => ({ deliveryId: d.id, scheduledAt: prepared.dueAt })));
  return postJson(stored);
}

/** Every check of a new post (accounts, time, content), and the rows to store; stores nothing. */
export async function preparePost(ctx: AppContext, userId: string, body: CreatePostBody): Promise<NewPost> {
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
  // Posts hold references: base64 images are stored as media here, ids checked to be the user's.
  const [images, ...threadImages] = await storeRequestImages(ctx, userId, [body.images, ...(body.thread ?? []).map((s) => s.images)]);
  const [video, ...threadVideos] = await storeRequestVideos(ctx, userId, [body.video, ...(body.thread ?? []).map((s) => s.video)]);
  const content: PostContentJson = {
    ...(body.langs?.length ? { langs: body.langs } : {}),
    ...(images?.length ? { images } : {}),
    ...(video ? { video } : {}),
    ...(body.thread?.length
      ? {
          thread: body.thread.map((s, i) => ({
            text: s.text,
            ...(threadImages[i]?.length ? { images: threadImages[i] } : {}),
            ...(threadVideos[i] ? { video: threadVideos[i] } : {}),
          })),
        }
      : {}),
    ...(rich ? { rich } : {}),
  };
  const segments = await loadPostContent(ctx, body.text, content);
  validateContent(ctx, accounts.map((a) => a.platform), segments);
  await checkPlatformLimits(ctx, accounts, segments);

  // A time up to five minutes past means "publish now" (not "missed"): the deliveries are due now.
  const dueAt = new Date(Math.max(scheduledAt.getTime(), Date.now()));
  return {
    userId,
    text: body.text,
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
}
