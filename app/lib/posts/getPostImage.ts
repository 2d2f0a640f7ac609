import type { AppContext } from "../context";
import { findUserPostImage } from "../db/queries/posts";
import { notFound } from "../errors";
import { isUuid } from "./schemas";

const INDEX = /^(0|[1-9]\d{0,2})$/;

/**
 * The bytes of one image of one of the user's posts (segment 0 is the first post of a thread).
 * Lists carry only image metadata; the browser fetches thumbnails here, once, and caches them.
 */
export async function getPostImage(ctx: AppContext, userId: string, postId: string, segment: string, n: string): Promise<{ bytes: Buffer; mimeType: string }> {
  if (!isUuid(postId) || !INDEX.test(segment) || !INDEX.test(n)) throw notFound("image");
  const image = await findUserPostImage(ctx.database.db, userId, postId, Number(segment), Number(n));
  if (!image || typeof image.data !== "string") throw notFound("image");
  return { bytes: Buffer.from(image.data, "base64"), mimeType: image.mimeType };
}
