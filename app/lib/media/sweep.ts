import fs from "node:fs";
import path from "node:path";
import { inArray } from "drizzle-orm";
import type { Db } from "../db/client";
import { media } from "../db/schema";
import { logger } from "../logger";
import { mediaDir, mediaFile, mediaTmpDir, removeQuietly, thumbnailFile } from "./store";

const log = logger("media");

/**
 * Files are placed before the row that names them is committed (ingest.ts), so a process that
 * dies in between, or a transaction that rolls back, leaves a file no row names. Such a file is
 * harmless (content-addressed: the same bytes later reuse it) but takes space; this removes it,
 * with its thumbnail and temp files left by interrupted uploads. Only files untouched for
 * `olderThanMs` go: placing a file that exists touches it, so one a request is about to name is
 * never taken. Runs at start (scripts/migrate.ts: `npm start`'s set-up step and `db:migrate`).
 */
export async function sweepOrphanMedia(db: Db, dataDir: string, olderThanMs = 60 * 60 * 1000): Promise<{ files: number; temp: number }> {
  const before = Date.now() - olderThanMs;
  const old = (file: string) => {
    try {
      return fs.statSync(file).mtimeMs < before;
    } catch {
      return false;
    }
  };
  const root = mediaDir(dataDir);
  const candidates = (fs.existsSync(root) ? fs.readdirSync(root, { withFileTypes: true }) : [])
    .filter((d) => d.isDirectory() && /^[0-9a-f]{2}$/.test(d.name))
    .flatMap((d) => fs.readdirSync(path.join(root, d.name)).filter((name) => /^[0-9a-f]{64}$/.test(name)))
    .filter((sha) => old(mediaFile(dataDir, sha)));
  let files = 0;
  for (let i = 0; i < candidates.length; i += 500) {
    const batch = candidates.slice(i, i + 500);
    const named = new Set((await db.selectDistinct({ sha256: media.sha256 }).from(media).where(inArray(media.sha256, batch))).map((r) => r.sha256));
    for (const sha of batch) {
      // Checked again just before: a request may have reused the file since the listing.
      if (named.has(sha) || !old(mediaFile(dataDir, sha))) continue;
      await removeQuietly(mediaFile(dataDir, sha));
      await removeQuietly(thumbnailFile(dataDir, sha));
      files += 1;
    }
  }
  const tmp = mediaTmpDir(dataDir);
  const stale = (fs.existsSync(tmp) ? fs.readdirSync(tmp) : []).map((n) => path.join(tmp, n)).filter(old);
  await Promise.all(stale.map(removeQuietly));
  if (files + stale.length > 0) log.info({ files, temp: stale.length }, "removed media files no row names");
  return { files, temp: stale.length };
}
