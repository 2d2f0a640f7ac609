import fs from "node:fs";
import { Readable } from "node:stream";
import type { AppContext } from "../context";
import { findUserMedia } from "../db/queries/media";
import { notFound } from "../errors";
import { isUuid } from "../posts/schemas";
import { mediaFile, thumbnailFile } from "./store";

export interface MediaBody {
  body: ReadableStream<Uint8Array>;
  mimeType: string;
  size: number;
}

/**
 * The bytes of one of the user's images (or its thumbnail), streamed from the store.
 * Someone else's id, a malformed id and a missing file all answer 404 alike.
 */
export async function getMedia(ctx: AppContext, userId: string, id: string, variant: "original" | "thumbnail"): Promise<MediaBody> {
  if (!isUuid(id)) throw notFound("media");
  const row = await findUserMedia(ctx.database.db, userId, id);
  if (!row) throw notFound("media");
  const file = variant === "original" ? mediaFile(ctx.config.dataDir, row.sha256) : thumbnailFile(ctx.config.dataDir, row.sha256);
  let size: number;
  try {
    size = (await fs.promises.stat(file)).size;
  } catch {
    throw notFound("media file");
  }
  return {
    body: Readable.toWeb(fs.createReadStream(file)) as ReadableStream<Uint8Array>,
    mimeType: variant === "original" ? row.mimeType : "image/webp",
    size,
  };
}

/** An image response: private (one user's), immutable (an id never changes bytes), never sniffed or run. */
export function mediaResponse(m: MediaBody): Response {
  return new Response(m.body, {
    headers: {
      "content-type": m.mimeType,
      "content-length": String(m.size),
      "cache-control": "private, max-age=86400, immutable",
      "x-content-type-options": "nosniff",
      "content-security-policy": "default-src 'none'; sandbox",
    },
  });
}
