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

/**
 * Turns a raw image file (already type-sniffed) into a stored medium of the user: strips its
 * metadata, files it (and a thumbnail) under its SHA-256, and records the user's row. `raw`
 * is consumed. Order matters for crash safety: the files are in place before the row that
 * names them exists, so a row never points at nothing; a crash in between leaves only an
 * unreferenced file, which the same upload later reuses.
 */
export async function ingestImageFile(deps: MediaDeps, userId: string, raw: string, type: MediaType): Promise<Media> {
  const dataDir = deps.dataDir;
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
    await placeFile(clean, mediaFile(dataDir, sha256));
    await placeFile(thumb, thumbnailFile(dataDir, sha256));
    const { media } = await insertMedia(deps.db, { userId, sha256, mimeType: type, bytes, width: size.width, height: size.height });
    return media;
  } finally {
    await Promise.all([removeQuietly(raw), removeQuietly(clean), removeQuietly(thumb)]);
  }
}

/**
 * An image that arrived as bytes in a JSON body (the base64 `images[].data` form kept for
 * older clients, and posts stored that way before media by reference) → a stored medium.
 * Its declared mimeType is ignored: the bytes say what it is.
 */
export async function ingestImageBytes(deps: MediaDeps, userId: string, bytes: Buffer, where: string): Promise<Media> {
  const type = sniffImageType(bytes.subarray(0, SNIFF_BYTES));
  if (!type) throw new AppError("validation_failed", `${where}: the data is not a PNG, JPEG, WebP or GIF image`, [{ path: where, message: "not an image" }]);
  const raw = tempFile(deps.dataDir);
  await fs.promises.writeFile(raw, bytes, { flag: "wx" });
  return ingestImageFile(deps, userId, raw, type);
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
