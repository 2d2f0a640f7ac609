import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";

/**
 * Where media bytes live: <dataDir>/media/<sha[0:2]>/<sha> and the thumbnail at
 * <dataDir>/media/thumbs/<sha[0:2]>/<sha>.webp. Files are named by the SHA-256 of their
 * content, so the same bytes are stored once however often (and by whomever) they are
 * uploaded, and a file is never rewritten. Backups copy <dataDir>/media whole (MEDIA_DIR in
 * lifecycle/backup.ts). Uploads in progress sit in <dataDir>/media-tmp, outside the backup.
 */
const MEDIA_DIR = "media";
const TMP_DIR = "media-tmp";

const SHA256 = /^[0-9a-f]{64}$/;

function checked(sha256: string): string {
  // The name comes from our own database, but a path built from it must never leave the folder.
  if (!SHA256.test(sha256)) throw new Error("not a SHA-256 hex digest");
  return sha256;
}

export const mediaDir = (dataDir: string) => path.join(dataDir, MEDIA_DIR);
export const mediaTmpDir = (dataDir: string) => path.join(dataDir, TMP_DIR);
export const mediaFile = (dataDir: string, sha256: string) => path.join(dataDir, MEDIA_DIR, checked(sha256).slice(0, 2), sha256);
export const thumbnailFile = (dataDir: string, sha256: string) =>
  path.join(dataDir, MEDIA_DIR, "thumbs", checked(sha256).slice(0, 2), `${sha256}.webp`);

/** A fresh path for a file being written (same filesystem as the store, so placing it is a rename). */
export function tempFile(dataDir: string): string {
  const dir = path.join(dataDir, TMP_DIR);
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, randomUUID());
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(fs.createReadStream(file), hash);
  return hash.digest("hex");
}

/**
 * Moves a finished temp file to its content address. The rename is atomic: a reader (or a
 * backup) sees the whole file or none, and a crash leaves at worst a stray temp file. When
 * the address exists already, it holds these very bytes: the temp file is dropped.
 */
export async function placeFile(tmp: string, dest: string): Promise<void> {
  if (fs.existsSync(dest)) {
    // Fresh again: sweepOrphanMedia leaves young files alone, and a row is about to name this one.
    const now = new Date();
    await fs.promises.utimes(dest, now, now).catch(() => undefined);
    await fs.promises.rm(tmp, { force: true });
    return;
  }
  await fs.promises.mkdir(path.dirname(dest), { recursive: true });
  const handle = await fs.promises.open(tmp, "r");
  try {
    await handle.sync(); // the bytes are on disk before the name points at them
  } finally {
    await handle.close();
  }
  await fs.promises.rename(tmp, dest);
}

export const removeQuietly = (file: string) => fs.promises.rm(file, { force: true }).catch(() => undefined);
