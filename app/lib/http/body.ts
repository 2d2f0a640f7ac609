import { AppError } from "../errors";

/** Largest request body any route accepts (JSON with images is sent as base64 in it). */
export const MAX_BODY_BYTES = 1024 * 1024;

const tooLarge = (max: number) => new AppError("payload_too_large", `request body over ${max} bytes`);

/**
 * Reads the body as UTF-8, counting bytes as they arrive: past `max` the stream is cancelled
 * and 413 is thrown, so a chunked (length-less) or lying upload never sits in memory whole.
 */
export async function readBodyCapped(req: Request, max = MAX_BODY_BYTES): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > max) throw tooLarge(max);
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > max) {
        void reader.cancel().catch(() => {});
        throw tooLarge(max);
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError("bad_request", "could not read the request body");
  }
  return Buffer.concat(chunks, size).toString("utf8");
}

/** JSON routes take `application/json` (any charset parameter) and nothing else: 415 otherwise. */
export function requireJsonContentType(req: Request): void {
  const type = (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") {
    throw new AppError("unsupported_media_type", "send the body as JSON with Content-Type: application/json");
  }
}
