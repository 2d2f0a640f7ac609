import fs from "node:fs";
import type { VideoInput } from "../api/platform";
import type { AppContext } from "../context";
import { findMediaByIds, findUserMediaByIds } from "../db/queries/media";
import type { PostContentJson, StoredVideo } from "../db/queries/posts";
import type { Media } from "../db/schema";
import { AppError } from "../errors";
import { MediaMissingError } from "./mediaMissing";
import { mediaUrl } from "./mediaJson";
import { mediaFile } from "./store";
import { CAPTIONS_TYPE, VIDEO_TYPE } from "./video";

/**
 * branch video: a segment's video as a request names it, by media ids (POST /api/media first,
 * once for the mp4 and once per caption file).
 */
export interface VideoRequest {
  mediaId: string;
  alt: string;
  captions?: Array<{ lang: string; mediaId: string }>;
}

const idsOf = (v: VideoRequest | StoredVideo) => [v.mediaId, ...(v.captions ?? []).map((c) => c.mediaId)];

/**
 * The videos of each segment of a request as stored references. Every id must name one of
 * the user's uploads, the video an mp4 and each caption a WebVTT file; else 400 saying which.
 */
export async function checkRequestVideos(
  ctx: AppContext,
  userId: string,
  segments: Array<VideoRequest | undefined>,
): Promise<Array<StoredVideo | undefined>> {
  const ids = [...new Set(segments.flatMap((v) => (v ? idsOf(v) : [])))];
  if (ids.length === 0) return segments.map(() => undefined);
  const owned = new Map((await findUserMediaByIds(ctx.database.db, userId, ids)).map((m) => [m.id, m]));
  const unknown = ids.filter((id) => !owned.has(id));
  if (unknown.length > 0) {
    throw new AppError("validation_failed", `unknown media id${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")} (upload with POST /api/media first)`, {
      mediaIds: unknown,
    });
  }
  const problems: Array<{ path: string; message: string }> = [];
  const out = segments.map((v, s): StoredVideo | undefined => {
    if (!v) return undefined;
    const where = s === 0 ? "video" : `thread.${s - 1}.video`;
    const row = owned.get(v.mediaId) as Media;
    if (row.mimeType !== VIDEO_TYPE) problems.push({ path: `${where}.mediaId`, message: `media ${v.mediaId} is ${row.mimeType}, not an mp4 video` });
    for (const [n, c] of (v.captions ?? []).entries()) {
      const cap = owned.get(c.mediaId) as Media;
      if (cap.mimeType !== CAPTIONS_TYPE) problems.push({ path: `${where}.captions.${n}.mediaId`, message: `media ${c.mediaId} is ${cap.mimeType}, not a WebVTT caption file` });
    }
    return {
      mediaId: v.mediaId,
      mimeType: row.mimeType,
      alt: v.alt,
      ...(v.captions?.length ? { captions: v.captions.map((c) => ({ lang: c.lang, mediaId: c.mediaId })) } : {}),
    };
  });
  if (problems.length > 0) throw new AppError("validation_failed", problems.map((p) => `${p.path}: ${p.message}`).join("; "), problems);
  return out;
}

/**
 * How the stored videos of a post become what a platform uploads: paths in the media store
 * (an mp4 of up to 100 MB is streamed from disk when sent, never loaded here).
 */
export async function videoLoader(ctx: AppContext, content: PostContentJson<unknown>): Promise<(v: StoredVideo) => VideoInput> {
  const videos = [content.video, ...(content.thread ?? []).map((s) => s.video)].filter((v): v is StoredVideo => v !== undefined);
  const ids = [...new Set(videos.flatMap(idsOf))];
  const rows = new Map((await findMediaByIds(ctx.database.db, ids)).map((m) => [m.id, m]));
  const files = new Map<string, { file: string; mimeType: string; size: number; width: number; height: number }>();
  for (const id of ids) {
    const row = rows.get(id);
    if (!row) throw new MediaMissingError(id);
    const file = mediaFile(ctx.config.dataDir, row.sha256);
    try {
      await fs.promises.access(file, fs.constants.R_OK);
    } catch {
      throw new MediaMissingError(id);
    }
    files.set(id, { file, mimeType: row.mimeType, size: row.bytes, width: row.width, height: row.height });
  }
  return (v) => {
    const f = files.get(v.mediaId)!;
    return {
      ...f,
      alt: v.alt,
      captions: (v.captions ?? []).map((c) => {
        const cap = files.get(c.mediaId)!;
        return { lang: c.lang, file: cap.file, mimeType: cap.mimeType, size: cap.size };
      }),
    };
  };
}

/** A stored video as the API shows it: references and where their bytes are. */
export function videoJson(v: StoredVideo) {
  return {
    mediaId: v.mediaId,
    alt: v.alt,
    mimeType: v.mimeType,
    url: mediaUrl(v.mediaId),
    captions: (v.captions ?? []).map((c) => ({ lang: c.lang, mediaId: c.mediaId, url: mediaUrl(c.mediaId) })),
  };
}
