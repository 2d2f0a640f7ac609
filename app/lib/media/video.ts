import fs from "node:fs";

/**
 * Videos (mp4) and their caption files (WebVTT): recognised by their bytes, as images are.
 * Neither is re-encoded here: Bluesky's video service transcodes what it gets, and a caption
 * file is text that goes out as it came.
 */
export const VIDEO_TYPE = "video/mp4";
export const CAPTIONS_TYPE = "text/vtt";

// ISO base media brands that are mp4 (what the PDS's own sniffing, file-type, calls video/mp4).
// QuickTime ("qt  "), HEIC/AVIF pictures and audio-only M4A share the `ftyp` box and are refused.
const MP4_BRAND = /^(isom|iso[2-9]|mp4[12]|avc1|dash|mmp4)$/;

/** An mp4: an `ftyp` box at offset 4 whose major brand is an mp4 one. Needs 12 bytes. */
export function sniffVideoType(head: Uint8Array): typeof VIDEO_TYPE | undefined {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (b.length < 12 || b.toString("latin1", 4, 8) !== "ftyp") return undefined;
  return MP4_BRAND.test(b.toString("latin1", 8, 12)) ? VIDEO_TYPE : undefined;
}

/** A WebVTT file starts with "WEBVTT" (after an optional UTF-8 byte order mark). */
export function sniffCaptionsType(head: Uint8Array): typeof CAPTIONS_TYPE | undefined {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  const start = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  if (b.toString("latin1", start, start + 6) !== "WEBVTT") return undefined;
  const next = b[start + 6];
  // "WEBVTT" alone, or followed by a space, tab or line break (the spec's header line).
  return next === undefined || next === 0x20 || next === 0x09 || next === 0x0a || next === 0x0d ? CAPTIONS_TYPE : undefined;
}

/** A caption file must be UTF-8 text (the WebVTT spec); bad bytes are refused at upload. */
export async function isUtf8File(file: string): Promise<boolean> {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(await fs.promises.readFile(file));
    return true;
  } catch {
    return false;
  }
}

// The movie header is small (kilobytes, a few MB for hours of video): past this it is not read.
const MAX_MOOV_BYTES = 16 * 1024 * 1024;

interface Box {
  type: string;
  /** Offset of the payload (after the header) and its end. */
  start: number;
  end: number;
}

/** The boxes in [from, to) of a buffer. A malformed size ends the walk. */
function* boxesIn(buf: Buffer, from: number, to: number): Generator<Box> {
  let at = from;
  while (at + 8 <= to) {
    let size = buf.readUInt32BE(at);
    let header = 8;
    if (size === 1) {
      if (at + 16 > to) return;
      size = Number(buf.readBigUInt64BE(at + 8));
      header = 16;
    } else if (size === 0) size = to - at;
    if (size < header || at + size > to) return;
    yield { type: buf.toString("latin1", at + 4, at + 8), start: at + header, end: at + size };
    at += size;
  }
}

/** Width and height of the first visual track (its `tkhd`), from the in-memory `moov` payload. */
function trackSize(moov: Buffer): { width: number; height: number } | undefined {
  for (const trak of boxesIn(moov, 0, moov.length)) {
    if (trak.type !== "trak") continue;
    for (const box of boxesIn(moov, trak.start, trak.end)) {
      if (box.type !== "tkhd") continue;
      // Version 0 has 32-bit times, version 1 64-bit ones: width and height follow the matrix.
      const at = box.start + (moov[box.start] === 1 ? 88 : 76);
      if (at + 8 > box.end) continue;
      const width = moov.readUInt32BE(at) >>> 16;
      const height = moov.readUInt32BE(at + 4) >>> 16;
      if (width > 0 && height > 0) return { width, height };
    }
  }
  return undefined;
}

/**
 * The picture size of an mp4 (for the post's aspect ratio), read from its `moov` box without
 * loading the media data; { 0, 0 } when the file does not say (Bluesky then guesses).
 */
export async function mp4Size(file: string): Promise<{ width: number; height: number }> {
  const none = { width: 0, height: 0 };
  const handle = await fs.promises.open(file, "r");
  try {
    const { size } = await handle.stat();
    const header = Buffer.alloc(16);
    let at = 0;
    while (at + 8 <= size) {
      const { bytesRead } = await handle.read(header, 0, 16, at);
      if (bytesRead < 8) return none;
      let boxSize = header.readUInt32BE(0);
      let headerSize = 8;
      if (boxSize === 1) {
        if (bytesRead < 16) return none;
        boxSize = Number(header.readBigUInt64BE(8));
        headerSize = 16;
      } else if (boxSize === 0) boxSize = size - at;
      if (boxSize < headerSize) return none;
      if (header.toString("latin1", 4, 8) === "moov") {
        const length = Math.min(boxSize - headerSize, size - at - headerSize);
        if (length > MAX_MOOV_BYTES) return none;
        const moov = Buffer.alloc(length);
        await handle.read(moov, 0, length, at + headerSize);
        return trackSize(moov) ?? none;
      }
      at += boxSize;
    }
    return none;
  } finally {
    await handle.close();
  }
}
