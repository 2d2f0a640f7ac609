import type { AppContext } from "../context";
import { findUserPostImage } from "../db/queries/posts";
import { notFound } from "../errors";
import { getMedia, type MediaBody } from "../media/getMedia";
import { isUuid } from "./schemas";

const INDEX = /^(0|[1-9]\d{0,2})$/;

/**
 * The bytes of one image of one of the user's posts (segment 0 is the first post of a thread).
 * Kept for links made before media by reference; lists now point at /api/media/:id.
 */
export async function getPostImage(ctx: AppContext, userId: string, postId: string, segment: string, n: string): Promise<MediaBody> {
  if (!isUuid(postId) || !INDEX.test(segment) || !INDEX.test(n)) throw notFound("image");
  const image = await findUserPostImage(ctx.database.db, userId, postId, Number(segment), Number(n));
  if (image && typeof image.mediaId === "string") return getMedia(ctx, userId, image.mediaId, "original");
  if (!image || typeof image.data !== "string") throw notFound("image");
  const bytes = Buffer.from(image.data, "base64");
  return { body: new Blob([new Uint8Array(bytes)]).stream(), mimeType: String(image.mimeType), size: bytes.length };
}
