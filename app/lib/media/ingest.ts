import fs from "node:fs";
import type { Db } from "../db/client";
import { insertMedia } from "../db/queries/media";
import type { Media } from "../db/schema";
import { AppError } from "../errors";
import { logger } from "../logger";
import { normalizeImage, SNIFF_BYTES, sniffImageType, type MediaType, writeThumbnail } from "./image";
import { isUtf8File, mp4Size, VIDEO_TYPE, type CAPTIONS_TYPE } from "./video";
import { mediaFile, placeFile, removeQuietly, sha256OfFile, tempFile, thumbnailFile } from "./store";

const log = logger("media");

/** What storing media needs: the database and the data dir (an AppContext has both; the migrate step has no context). */
export interface MediaDeps {
  db: Db;
  dataDir: string;
}

export const mediaDeps = (ctx: { database: { db: Db }; config: { dataDir: string } }): MediaDeps => ({ db: ctx.database.db, dataDir: ctx.config.dataDir });

/** An image decoded, stripped and hashed into temp files: checked, but nothing is stored yet. */
export interface PreparedImage {
  sha256: string;
  mimeType: MediaType;
  bytes: number;
  width: number;
  height: number;
  /** The temp files: the clean image and its thumbnail (discardPreparedImage removes them). */
  clean: string;
  thumb: string;
}

/**
 * A raw image file (already type-sniffed) as a stripped image and a thumbnail in temp files,
 * with its SHA-256, size and dimensions. Stores nothing: a request refused later leaves no trace.
 */
export async function prepareImageFile(dataDir: string, raw: string, type: MediaType): Promise<PreparedImage> {
  const clean = tempFile(dataDir);
  const thumb = tempFile(dataDir);
  try {
    let size: { width: number; height: number };
    try {
      size = await normalizeImage(raw, type, clean);
      await writeThumbnail(clean, thumb);
    } catch (err) {
      log.debug({ err }, "image did not decode");
      throw new AppError("unprocessable", `the file starts like ${type} but is not a readable image (damaged, truncated or too many pixels)`);
    }
    const sha256 = await sha256OfFile(clean);
    const { size: bytes } = await fs.promises.stat(clean);
    return { sha256, mimeType: type, bytes, width: size.width, height: size.height, clean, thumb };
  } catch (err) {
    await Promise.all([removeQuietly(clean), removeQuietly(thumb)]);
    throw err;
  }
}

/**
 * Files a prepared image under its SHA-256. Called only once everything is checked, and before
 * the row that names the files exists (storePreparedImage), so a row never points at nothing; a
 * crash or rollback in between leaves only an unreferenced file, which the same bytes later
 * reuse and sweepOrphanMedia removes.
 */
export async function placePreparedImage(dataDir: string, image: PreparedImage): Promise<void> {
  await placeFile(image.clean, mediaFile(dataDir, image.sha256));
  await placeFile(image.thumb, thumbnailFile(dataDir, image.sha256));
}

/** Places the files and records the user's row (`db` may be a transaction). */
export async function storePreparedImage(dataDir: string, db: Pick<Db, "select" | "insert">, userId: string, image: PreparedImage): Promise<Media> {
  await placePreparedImage(dataDir, image);
  const { sha256, mimeType, bytes, width, height } = image;
  return (await insertMedia(db, { userId, sha256, mimeType, bytes, width, height })).media;
}

export const discardPreparedImage = (image: PreparedImage) => Promise.all([removeQuietly(image.clean), removeQuietly(image.thumb)]);

/** Turns a raw image file (already type-sniffed) into a stored medium of the user. `raw` is consumed. */
export async function ingestImageFile(deps: MediaDeps, userId: string, raw: string, type: MediaType): Promise<Media> {
  try {
    const image = await prepareImageFile(deps.dataDir, raw, type);
    try {
      return await storePreparedImage(deps.dataDir, deps.db, userId, image);
    } finally {
      await discardPreparedImage(image);
    }
  } finally {
    await removeQuietly(raw);
  }
}

/**
 * An image that arrived as bytes in a JSON body (the base64 `images[].data` form kept for
 * older clients, and posts stored that way before media by reference) → a stored medium.
 * Its declared mimeType is ignored: the bytes say what it is.
 */
export async function ingestImageBytes(deps: MediaDeps, userId: string, bytes: Buffer, where: string): Promise<Media> {
  const image = await prepareImageBytes(deps.dataDir, bytes, where);
  try {
    return await storePreparedImage(deps.dataDir, deps.db, userId, image);
  } finally {
    await discardPreparedImage(image);
  }
}

/** The first half of ingestImageBytes: the image checked and prepared in temp files, nothing stored. */
export async function prepareImageBytes(dataDir: string, bytes: Buffer, where: string): Promise<PreparedImage> {
  const type = sniffImageType(bytes.subarray(0, SNIFF_BYTES));
  if (!type) throw new AppError("validation_failed", `${where}: the data is not a PNG, JPEG, WebP or GIF image`, [{ path: where, message: "not an image" }]);
  const raw = tempFile(dataDir);
  try {
    await fs.promises.writeFile(raw, bytes, { flag: "wx" });
    return await prepareImageFile(dataDir, raw, type);
  } finally {
    await removeQuietly(raw);
  }
}

/**
 * branch video: an mp4 or a WebVTT caption file (already type-sniffed) → a stored medium.
 * Kept byte for byte (no thumbnail): the size of an mp4 is read from its header for the
 * post's aspect ratio; a caption file must be UTF-8. `raw` is consumed; same crash-safe order
 * as for images (file placed before its row).
 */
export async function ingestVideoOrCaptionsFile(deps: MediaDeps, userId: string, raw: string, type: typeof VIDEO_TYPE | typeof CAPTIONS_TYPE): Promise<Media> {
  try {
    let size = { width: 0, height: 0 };
    if (type === VIDEO_TYPE) size = await mp4Size(raw).catch(() => size);
    else if (!(await isUtf8File(raw))) throw new AppError("unprocessable", "the caption file starts like WebVTT but is not UTF-8 text");
    const sha256 = await sha256OfFile(raw);
    const { size: bytes } = await fs.promises.stat(raw);
    await placeFile(raw, mediaFile(deps.dataDir, sha256));
    const { media } = await insertMedia(deps.db, { userId, sha256, mimeType: type, bytes, width: size.width, height: size.height });
    return media;
  } finally {
    await removeQuietly(raw);
  }
}
