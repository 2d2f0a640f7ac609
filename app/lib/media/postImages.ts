import fs from "node:fs";
import type { ImageInput, PostContent } from "../api/platform";
import type { AppContext } from "../context";
import { findMediaByIds, findUserMediaByIds } from "../db/queries/media";
import type { LegacyImage, PostContentJson, PostImageJson, StoredImage } from "../db/queries/posts";
import type { Media } from "../db/schema";
import { AppError } from "../errors";
import { segmentsOf } from "../posts/segments";
import { ingestImageBytes, mediaDeps } from "./ingest";
import { mediaUrl } from "./mediaJson";
import { MediaMissingError } from "./mediaMissing";
import { videoLoader } from "./postVideos";
import { mediaFile } from "./store";

/** An image as a request names it: a reference to an upload, or (older clients) base64 bytes. */
export type ImageRequest = { mediaId: string; alt: string } | { data: string; mimeType: string; alt: string };

export const isLegacyImage = (i: PostImageJson | ImageRequest): i is LegacyImage => "data" in i && typeof i.data === "string";

/** A stored image as the API shows it: the reference, its type and where its bytes are. */
export function imageJson(i: PostImageJson) {
  if (isLegacyImage(i)) return { mimeType: i.mimeType, alt: i.alt };
  return { mediaId: i.mediaId, alt: i.alt, mimeType: i.mimeType, url: mediaUrl(i.mediaId) };
}

/**
 * The images of each segment of a request as stored references: ids must name the user's own
 * uploads (another user's id is "unknown", as a missing one); base64 images are stored as
 * media first, so a post never holds bytes.
 */
export async function storeRequestImages(
  ctx: AppContext,
  userId: string,
  segments: Array<ImageRequest[] | undefined>,
): Promise<Array<StoredImage[] | undefined>> {
  const ids = segments.flatMap((list) => (list ?? []).flatMap((i) => (isLegacyImage(i) ? [] : [i.mediaId])));
  const owned = new Map((await findUserMediaByIds(ctx.database.db, userId, [...new Set(ids)])).map((m) => [m.id, m]));
  const unknown = [...new Set(ids.filter((id) => !owned.has(id)))];
  if (unknown.length > 0) {
    throw new AppError("validation_failed", `unknown media id${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")} (upload with POST /api/media first)`, {
      mediaIds: unknown,
    });
  }
  const out: Array<StoredImage[] | undefined> = [];
  for (const [s, list] of segments.entries()) {
    if (!list) {
      out.push(undefined);
      continue;
    }
    const stored: StoredImage[] = [];
    for (const [n, image] of list.entries()) {
      const media: Media = isLegacyImage(image)
        ? await ingestImageBytes(mediaDeps(ctx), userId, Buffer.from(image.data, "base64"), s === 0 ? `images.${n}` : `thread.${s - 1}.images.${n}`)
        : owned.get(image.mediaId)!;
      stored.push({ mediaId: media.id, mimeType: media.mimeType, alt: image.alt });
    }
    out.push(stored);
  }
  return out;
}

export { MediaMissingError };

/**
 * A stored post as the content to validate or publish, each referenced image's bytes read
 * from the media store (once per image, however often the post names it).
 */
export async function loadPostContent(ctx: AppContext, text: string, content: PostContentJson): Promise<PostContent> {
  const all = [content.images ?? [], ...(content.thread ?? []).map((s) => s.images ?? [])].flat();
  const ids = [...new Set(all.flatMap((i) => (isLegacyImage(i) ? [] : [i.mediaId])))];
  const rows = new Map((await findMediaByIds(ctx.database.db, ids)).map((m) => [m.id, m]));
  const bytes = new Map<string, string>();
  for (const id of ids) {
    const row = rows.get(id);
    if (!row) throw new MediaMissingError(id);
    try {
      bytes.set(id, (await fs.promises.readFile(mediaFile(ctx.config.dataDir, row.sha256))).toString("base64"));
    } catch {
      throw new MediaMissingError(id);
    }
  }
  const video = await videoLoader(ctx, content);
  return segmentsOf(
    text,
    content,
    (i): ImageInput => (isLegacyImage(i) ? i : { data: bytes.get(i.mediaId)!, mimeType: rows.get(i.mediaId)!.mimeType, alt: i.alt }),
    video,
  );
}
