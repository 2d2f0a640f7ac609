import type { AppContext } from "../context";
import { findOwnedAccounts, lockUserPost, updatePendingPost, type PostContentJson, type PostImageJson } from "../db/queries/posts";
import { AppError, notFound } from "../errors";
import { rescheduleDeliveries } from "./enqueueDeliveries";
import { getPost } from "./getPost";
import type { PostJson } from "./postJson";
import { isUuid, type UpdatePostBody } from "./schemas";
import { requestedTime } from "./scheduledAt";
import { checkRequestImages, discardCheckedImages, storeCheckedImages, validationContent } from "../media/postImages";
import { videoLoader } from "../media/postVideos";
import { validateContent } from "./validateContent";

/**
 * New text and/or time while every delivery is still pending. A new time moves the existing
 * jobs (remove + add under the same id), so there is never a second job for a delivery.
 */
export async function updatePost(ctx: AppContext, userId: string, postId: string, body: UpdatePostBody): Promise<PostJson> {
  if (!isUuid(postId)) throw notFound("post");
  const db = ctx.database.db;
  const scheduledAt = requestedTime(body);
  // As on create: a time up to five minutes past means "publish now".
  const dueAt = scheduledAt ? new Date(Math.max(scheduledAt.getTime(), Date.now())) : undefined;

  // Checked (ids the user's, base64 decoded in temp files) before the transaction: image work
  // holds no row locks. Stored only in the transaction, once the new content is valid.
  const checked = body.images ? (await checkRequestImages(ctx, userId, [body.images]))[0] : undefined;

  try {
    const moved = await db.transaction(async (tx) => {
      const found = await lockUserPost(tx, userId, postId);
      if (!found) throw notFound("post");
      if (found.post.status === "cancelled") throw new AppError("conflict", "the post was cancelled");
      const started = found.deliveries.filter((d) => d.status !== "pending");
      if (started.length > 0) {
        throw new AppError("conflict", "the post is already being published or was published; it can no longer be changed", {
          deliveries: started.map((d) => ({ id: d.id, status: d.status })),
        });
      }
      const stored = found.post.content as PostContentJson;
      // The first segment's images replaced (none: removed); the thread's stay.
      const withImages = <I>(images: I[] | undefined): PostContentJson<PostImageJson | I> => ({ ...stored, images: images?.length ? images : undefined });
      if (body.text !== undefined || checked) {
        const accounts = await findOwnedAccounts(tx, userId, found.deliveries.map((d) => d.accountId));
        const content = checked ? withImages(checked) : stored;
        // With the post's video (if any): images added to a video post are refused as on create.
        await validateContent(ctx, accounts, await validationContent(tx, body.text ?? found.post.text, content, await videoLoader(ctx, content)));
      }
      const images = checked ? (await storeCheckedImages(ctx.config.dataDir, tx, userId, [checked]))[0] : undefined;
      await updatePendingPost(tx, postId, {
        text: body.text,
        content: checked ? withImages(images) : undefined,
        timeZone: body.timeZone,
        scheduledAt,
        dueAt,
        recordCreatedAt: dueAt,
      });
      return dueAt ? found.deliveries.map((d) => ({ deliveryId: d.id, scheduledAt: dueAt })) : [];
    });
    // After the commit, so a job that fires meanwhile already sees the new time and re-delays itself.
    if (moved.length > 0) await rescheduleDeliveries(ctx, moved);
  } finally {
    if (checked) await discardCheckedImages([checked]);
  }
  return getPost(ctx, userId, postId);
}
