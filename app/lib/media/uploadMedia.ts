import fs from "node:fs";
import type { AppContext } from "../context";
import { AppError } from "../errors";
import { SNIFF_BYTES, sniffImageType } from "./image";
import { ingestImageFile, mediaDeps } from "./ingest";
import { mediaJson, type MediaJson } from "./mediaJson";
import { removeQuietly, tempFile } from "./store";

const tooLarge = (max: number) =>
  new AppError("payload_too_large", `the image is over ${max.toLocaleString("en-US")} bytes (MEDIA_MAX_BYTES); shrink it and upload again`);

const notAnImage = () => new AppError("unsupported_media_type", "the body is not a PNG, JPEG, WebP or GIF image (judged by its bytes, not its Content-Type)");

/**
 * Writes the request body to a temp file as it arrives, counting bytes: past the cap the
 * stream is cancelled and 413 thrown (a chunked or lying upload never sits in memory or on
 * disk whole). The first bytes decide the type; anything else is refused before more is read.
 */
async function receive(body: ReadableStream<Uint8Array> | null, declaredLength: number, max: number, file: string) {
  if (declaredLength > max) throw tooLarge(max);
  if (!body) throw new AppError("bad_request", "send the image bytes as the request body");
  const reader = body.getReader();
  const out = fs.createWriteStream(file, { flags: "wx" });
  const write = (chunk: Uint8Array) =>
    new Promise<void>((resolve, reject) => out.write(chunk, (err) => (err ? reject(err) : resolve())));
  let size = 0;
  let head = Buffer.alloc(0);
  try {
    for (;;) {
      let part: ReadableStreamReadResult<Uint8Array>;
      try {
        part = await reader.read();
      } catch {
        throw new AppError("bad_request", "could not read the request body");
      }
      if (part.done) break;
      size += part.value.byteLength;
      if (size > max) throw tooLarge(max);
      if (head.length < SNIFF_BYTES) {
        head = Buffer.concat([head, part.value]).subarray(0, SNIFF_BYTES);
        if (head.length >= SNIFF_BYTES && !sniffImageType(head)) throw notAnImage();
      }
      await write(part.value);
    }
  } catch (err) {
    void reader.cancel().catch(() => {});
    throw err;
  } finally {
    await new Promise<void>((resolve) => out.end(() => resolve()));
  }
  if (size === 0) throw new AppError("bad_request", "the request body is empty: send the image bytes");
  const type = sniffImageType(head);
  if (!type) throw notAnImage();
  return type;
}

/** POST /api/media: the raw image bytes as the body → the user's stored medium. */
export async function uploadMedia(ctx: AppContext, userId: string, req: Request): Promise<MediaJson> {
  const max = ctx.config.media.maxBytes;
  const raw = tempFile(ctx.config.dataDir);
  try {
    const type = await receive(req.body, Number(req.headers.get("content-length") ?? "0") || 0, max, raw);
    return mediaJson(await ingestImageFile(mediaDeps(ctx), userId, raw, type));
  } finally {
    await removeQuietly(raw);
  }
}
