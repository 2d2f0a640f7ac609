import fs from "node:fs";
import { imageSize, type ImageInfo, type ImageInput, type PostContent, type VideoInput } from "../api/platform";
import type { AppContext } from "../context";
import { findMediaByIds, findUserMediaByIds } from "../db/queries/media";
import type { Db } from "../db/client";
import type { LegacyImage, PostContentJson, PostImageJson, StoredImage, StoredVideo, Tx } from "../db/queries/posts";
import type { Media } from "../db/schema";
import { AppError } from "../errors";
import { segmentsOf } from "../posts/segments";
import { discardPreparedImage, prepareImageBytes, storePreparedImage, type PreparedImage } from "./ingest";
import { mediaUrl } from "./mediaJson";
import { MediaMissingError } from "./mediaMissing";
import { videoLoader } from "./postVideos";
import { mediaFile } from "./store";

/** An image as a request names it: a reference to an upload, or (older clients) base64 bytes. */
export type ImageRequest = { mediaId: string; alt: string } | { data: string; mimeType: string; alt: string };

export const isLegacyImage = (i: object): i is LegacyImage => "data" in i && typeof i.data === "string";

/** A stored image as the API shows it: the reference, its type and where its bytes are. */
export function imageJson(i: PostImageJson) {
  if (isLegacyImage(i)) return { mimeType: i.mimeType, alt: i.alt };
  return { mediaId: i.mediaId, alt: i.alt, mimeType: i.mimeType, url: mediaUrl(i.mediaId) };
}

/** A request's image once checked: one of the user's uploads, or new bytes prepared in temp files (not stored yet). */
export type CheckedImage = { alt: string; media: Media } | { alt: string; prepared: PreparedImage };

const isChecked = (i: object): i is CheckedImage => "media" in i || "prepared" in i;

/**
 * The images of each segment of a request, checked and nothing stored: ids must name the
 * user's own uploads (another user's id is "unknown", as a missing one); base64 images are
 * decoded, stripped and measured in temp files. The caller stores them with the post
 * (storeCheckedImages) once every check passed, and discards them (discardCheckedImages) in
 * any case.
 */
export async function checkRequestImages(
  ctx: AppContext,
  userId: string,
  segments: Array<ImageRequest[] | undefined>,
): Promise<Array<CheckedImage[] | undefined>> {
  const ids = segments.flatMap((list) => (list ?? []).flatMap((i) => (isLegacyImage(i) ? [] : [i.mediaId])));
  const owned = new Map((await findUserMediaByIds(ctx.database.db, userId, [...new Set(ids)])).map((m) => [m.id, m]));
  const unknown = [...new Set(ids.filter((id) => !owned.has(id)))];
  if (unknown.length > 0) {
    throw new AppError("validation_failed", `unknown media id${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")} (upload with POST /api/media first)`, {
      mediaIds: unknown,
    });
  }
  const out: Array<CheckedImage[] | undefined> = [];
  try {
    for (const [s, list] of segments.entries()) {
      if (!list) {
        out.push(undefined);
        continue;
      }
      const checked: CheckedImage[] = [];
      out.push(checked);
      for (const [n, image] of list.entries()) {
        checked.push(
          isLegacyImage(image)
            ? { alt: image.alt, prepared: await prepareImageBytes(ctx.config.dataDir, Buffer.from(image.data, "base64"), s === 0 ? `images.${n}` : `thread.${s - 1}.images.${n}`) }
            : { alt: image.alt, media: owned.get(image.mediaId)! },
        );
      }
    }
  } catch (err) {
    await discardCheckedImages(out);
    throw err;
  }
  return out;
}

/** Removes the temp files of checked images (those stored were moved away already). */
export async function discardCheckedImages(segments: Array<CheckedImage[] | undefined>): Promise<void> {
  await Promise.all(segments.flatMap((list) => (list ?? []).flatMap((i) => ("prepared" in i ? [discardPreparedImage(i.prepared)] : []))));
}

export const hasNewImages = (segments: Array<CheckedImage[] | undefined>) => segments.some((list) => list?.some((i) => "prepared" in i));

/**
 * Checked images as the references a post stores: new ones filed and recorded now, on `db`
 * (the transaction that stores the post, so a refused or failed post leaves no row).
 */
export async function storeCheckedImages(
  dataDir: string,
  db: Pick<Db, "select" | "insert">,
  userId: string,
  segments: Array<CheckedImage[] | undefined>,
): Promise<Array<StoredImage[] | undefined>> {
  const out: Array<StoredImage[] | undefined> = [];
  for (const list of segments) {
    if (!list) {
      out.push(undefined);
      continue;
    }
    const stored: StoredImage[] = [];
    for (const image of list) {
      const media = "media" in image ? image.media : await storePreparedImage(dataDir, db, userId, image.prepared);
      stored.push({ mediaId: media.id, mimeType: media.mimeType, alt: image.alt });
    }
    out.push(stored);
  }
  return out;
}

export { MediaMissingError };

/**
 * A post as the content validation judges: each image's type and size from its media row (or
 * its checked bytes), never read from disk.
 */
export async function validationContent(
  db: Db | Tx,
  text: string,
  content: PostContentJson<PostImageJson | CheckedImage>,
  video?: (v: StoredVideo) => VideoInput,
): Promise<PostContent<ImageInfo>> {
  const all = [content.images ?? [], ...(content.thread ?? []).map((s) => s.images ?? [])].flat();
  const ids = [...new Set(all.flatMap((i) => (isChecked(i) || isLegacyImage(i) ? [] : [i.mediaId])))];
  const rows = new Map((await findMediaByIds(db, ids)).map((m) => [m.id, m]));
  const missing = ids.filter((id) => !rows.has(id));
  if (missing.length > 0) throw new AppError("unprocessable", missing.map((id) => new MediaMissingError(id).message).join("; "));
  return segmentsOf(text, content, (i): ImageInfo => {
    if (isChecked(i)) return "media" in i ? { mimeType: i.media.mimeType, size: i.media.bytes, alt: i.alt } : { mimeType: i.prepared.mimeType, size: i.prepared.bytes, alt: i.alt };
    if (isLegacyImage(i)) return { mimeType: i.mimeType, size: imageSize(i) ?? 0, alt: i.alt };
    const row = rows.get(i.mediaId)!;
    return { mimeType: row.mimeType, size: row.bytes, alt: i.alt };
  }, video);
}


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
