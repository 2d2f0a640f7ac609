/**
 * branch video: a small but well-formed mp4 built in memory (no ffmpeg on this machine, and no
 * binary in the repository): an `ftyp` box (brand isom: what type sniffing, ours and the PDS's,
 * reads), a `moov` with one video track whose `tkhd` gives the picture size, and an `mdat` of
 * `payloadBytes` filler bytes (vary `seed` for distinct files). No player would show a picture;
 * nothing on the path to the PDS decodes it.
 */
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

function box(type: string, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  return Buffer.concat([u32(8 + body.length), Buffer.from(type, "latin1"), body]);
}

export function tinyMp4(opts: { width?: number; height?: number; payloadBytes?: number; seed?: number } = {}): Buffer {
  const { width = 640, height = 360, payloadBytes = 2048, seed = 1 } = opts;
  const ftyp = box("ftyp", Buffer.from("isom", "latin1"), u32(0x200), Buffer.from("isomiso2avc1mp41", "latin1"));
  // mvhd version 0: 100 bytes of payload (times, rate, volume, matrix, next track id); zeros do.
  const mvhd = Buffer.alloc(100);
  mvhd.writeUInt32BE(1000, 12); // timescale
  mvhd.writeUInt32BE(0x00010000, 20); // rate 1.0
  // tkhd version 0 (flags: enabled, in movie): 84 bytes, width and height 16.16 at 76 and 80.
  const tkhd = Buffer.alloc(84);
  tkhd.writeUInt32BE(0x00000003, 0);
  tkhd.writeUInt32BE(1, 12); // track id
  tkhd.writeUInt32BE(width << 16, 76);
  tkhd.writeUInt32BE(height << 16, 80);
  const moov = box("moov", box("mvhd", mvhd), box("trak", box("tkhd", tkhd)));
  const filler = Buffer.alloc(payloadBytes);
  for (let i = 0; i < filler.length; i++) filler[i] = (i * 31 + seed * 17) & 0xff;
  return Buffer.concat([ftyp, moov, box("mdat", filler)]);
}

/** A WebVTT caption file. */
export function tinyVtt(line = "Hello from the video"): Buffer {
  return Buffer.from(`WEBVTT\n\n00:00:00.000 --> 00:00:02.000\n${line}\n`, "utf8");
}
