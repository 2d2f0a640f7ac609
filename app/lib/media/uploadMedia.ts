import fs from "node:fs";
import type { AppContext } from "../context";
import { AppError } from "../errors";
import { SNIFF_BYTES, sniffImageType, type MediaType } from "./image";
import { ingestImageFile, ingestVideoOrCaptionsFile, mediaDeps } from "./ingest";
import { CAPTIONS_TYPE, sniffCaptionsType, sniffVideoType, VIDEO_TYPE } from "./video";
import { mediaJson, type MediaJson } from "./mediaJson";
import { removeQuietly, tempFile } from "./store";

type UploadType = MediaType | typeof VIDEO_TYPE | typeof CAPTIONS_TYPE;

/** Images as ever; branch video: an mp4 video or a WebVTT caption file. */
const sniffUploadType = (head: Uint8Array): UploadType | undefined => sniffImageType(head) ?? sniffVideoType(head) ?? sniffCaptionsType(head);

interface Caps {
  image: number;
  video: number;
}

const capOf = (type: UploadType, caps: Caps) => (type === VIDEO_TYPE ? caps.video : caps.image);

const tooLarge = (type: UploadType | undefined, caps: Caps) => {
  if (type === VIDEO_TYPE) {
    return new AppError("payload_too_large", `the video is over ${caps.video.toLocaleString("en-US")} bytes (MEDIA_MAX_VIDEO_BYTES); shorten or compress it and upload again`);
  }
  const what = type === CAPTIONS_TYPE ? "caption file" : "image";
  return new AppError("payload_too_large", `the ${what} is over ${caps.image.toLocaleString("en-US")} bytes (MEDIA_MAX_BYTES); shrink it and upload again`);
};

const notAnImage = () =>
  new AppError(
    "unsupported_media_type",
    "the body is not a PNG, JPEG, WebP or GIF image, an mp4 video or a WebVTT caption file (judged by its bytes, not its Content-Type)",
  );

/**
 * Writes the request body to a temp file as it arrives, counting bytes: past the cap the
 * stream is cancelled and 413 thrown (a chunked or lying upload never sits in memory or on
 * disk whole). The first bytes decide the type; anything else is refused before more is read.
 */
async function receive(body: ReadableStream<Uint8Array> | null, declaredLength: number, caps: Caps, file: string): Promise<UploadType> {
  // Until the first bytes say what this is, only the largest cap applies.
  let max = Math.max(caps.image, caps.video);
  let type: UploadType | undefined;
  if (declaredLength > max) throw tooLarge(undefined, caps);
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
      if (head.length < SNIFF_BYTES) {
        head = Buffer.concat([head, part.value]).subarray(0, SNIFF_BYTES);
        if (head.length >= SNIFF_BYTES) {
          type = sniffUploadType(head);
          if (!type) throw notAnImage();
          max = capOf(type, caps);
          if (declaredLength > max) throw tooLarge(type, caps);
        }
      }
      if (size > max) throw tooLarge(type, caps);
      await write(part.value);
    }
  } catch (err) {
    void reader.cancel().catch(() => {});
    throw err;
  } finally {
    await new Promise<void>((resolve) => out.end(() => resolve()));
  }
  if (size === 0) throw new AppError("bad_request", "the request body is empty: send the image bytes");
  type ??= sniffUploadType(head);
  if (!type) throw notAnImage();
  if (size > capOf(type, caps)) throw tooLarge(type, caps);
  return type;
}

/** POST /api/media: the raw bytes of an image, an mp4 video or a WebVTT caption file as the body → the user's stored medium. */
export async function uploadMedia(ctx: AppContext, userId: string, req: Request): Promise<MediaJson> {
  const caps = { image: ctx.config.media.maxBytes, video: ctx.config.media.maxVideoBytes };
  const raw = tempFile(ctx.config.dataDir);
  try {
    const type = await receive(req.body, Number(req.headers.get("content-length") ?? "0") || 0, caps, raw);
    if (type === VIDEO_TYPE || type === CAPTIONS_TYPE) return mediaJson(await ingestVideoOrCaptionsFile(mediaDeps(ctx), userId, raw, type));
    return mediaJson(await ingestImageFile(mediaDeps(ctx), userId, raw, type));
  } finally {
    await removeQuietly(raw);
  }
}
