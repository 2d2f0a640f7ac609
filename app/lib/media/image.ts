/**
 * sharp (libvips and its thread pool, ~10 MB per process) loads with the first image processed,
 * not in every web and worker at start-up: most of them never process one.
 */
const loadSharp = async () => (await import("sharp")).default;

/** The image types every platform we post to accepts (Bluesky: PNG, JPEG, WebP, GIF). */
export const MEDIA_TYPES = ["image/png", "image/jpeg", "image/webp", "image/gif"] as const;
export type MediaType = (typeof MEDIA_TYPES)[number];

/** Bytes needed to recognise every accepted type. */
export const SNIFF_BYTES = 12;

/**
 * The type the bytes really are, from their magic numbers; the client's Content-Type (or
 * a declared mimeType) is not trusted. undefined: not an image type we take.
 */
export function sniffImageType(head: Uint8Array): MediaType | undefined {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (b.length >= 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return "image/png";
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "image/jpeg";
  if (b.length >= 6 && (b.toString("latin1", 0, 6) === "GIF87a" || b.toString("latin1", 0, 6) === "GIF89a")) return "image/gif";
  if (b.length >= 12 && b.toString("latin1", 0, 4) === "RIFF" && b.toString("latin1", 8, 12) === "WEBP") return "image/webp";
  return undefined;
}

// A 1 MB PNG can claim 30,000 × 30,000 pixels (3.6 GB decoded): refuse anything past
// 40 megapixels (a 7,700 × 5,200 photo) before decoding it.
const MAX_INPUT_PIXELS = 40_000_000;
const THUMBNAIL_PX = 320;

export interface NormalizedImage {
  width: number;
  height: number;
}

/**
 * Re-encodes the image to `out` in its own format: rotated upright by its EXIF orientation,
 * then with every metadata block (EXIF with GPS position and camera serial, XMP, IPTC,
 * comments) dropped — sharp writes none unless asked. Animated GIF/WebP keep their frames.
 * Throws when the bytes do not decode as the sniffed type.
 */
export async function normalizeImage(src: string, type: MediaType, out: string): Promise<NormalizedImage> {
  const animated = type === "image/gif" || type === "image/webp";
  const sharp = await loadSharp();
  const meta = await sharp(src, { limitInputPixels: MAX_INPUT_PIXELS }).metadata();
  if (`image/${meta.format}` !== type) throw new Error(`the bytes decode as ${meta.format}, not ${type}`);
  let img = sharp(src, { animated, limitInputPixels: MAX_INPUT_PIXELS });
  if (!animated || (meta.pages ?? 1) === 1) img = img.autoOrient();
  if (type === "image/png") img = img.png();
  else if (type === "image/jpeg") img = img.jpeg({ quality: 90 });
  else if (type === "image/webp") img = img.webp({ quality: 90 });
  else img = img.gif();
  const info = await img.toFile(out);
  const pages = meta.pages ?? 1;
  // An animation's frames are stacked: one frame's height is what people see.
  return { width: info.width, height: pages > 1 ? Math.round(info.height / pages) : info.height };
}

/** A small WebP of the first frame, for lists and the composer. */
export async function writeThumbnail(src: string, out: string): Promise<void> {
  const sharp = await loadSharp();
  await sharp(src, { pages: 1, limitInputPixels: MAX_INPUT_PIXELS })
    .resize(THUMBNAIL_PX, THUMBNAIL_PX, { fit: "inside", withoutEnlargement: true })
    .webp({ quality: 75 })
    .toFile(out);
}
