import fs from "node:fs";
import type { AppContext } from "../context";
import { insertMedia } from "../db/queries/media";
import type { Media } from "../db/schema";
import { AppError } from "../errors";
import { logger } from "../logger";
import { normalizeImage, type MediaType, writeThumbnail } from "./image";
import { mediaFile, placeFile, removeQuietly, sha256OfFile, tempFile, thumbnailFile } from "./store";

const log = logger("media");

/**
 * Turns a raw image file (already type-sniffed) into a stored medium of the user: strips its
 * metadata, files it (and a thumbnail) under its SHA-256, and records the user's row. `raw`
 * is consumed. Order matters for crash safety: the files are in place before the row that
 * names them exists, so a row never points at nothing; a crash in between leaves only an
 * unreferenced file, which the same upload later reuses.
 */
export async function ingestImageFile(ctx: AppContext, userId: string, raw: string, type: MediaType): Promise<Media> {
  const dataDir = ctx.config.dataDir;
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
    const { media } = await insertMedia(ctx.database.db, { userId, sha256, mimeType: type, bytes, width: size.width, height: size.height });
    return media;
  } finally {
    await Promise.all([removeQuietly(raw), removeQuietly(clean), removeQuietly(thumb)]);
  }
}
