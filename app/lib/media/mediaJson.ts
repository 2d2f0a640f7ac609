import type { Media } from "../db/schema";

export const mediaUrl = (id: string) => `/api/media/${id}`;
export const thumbnailUrl = (id: string) => `/api/media/${id}/thumbnail`;

/** The API shape of an uploaded image, video or caption file (never its bytes: those are at `url`). Only images have a thumbnail. */
export function mediaJson(m: Media) {
  return {
    id: m.id,
    mimeType: m.mimeType,
    width: m.width,
    height: m.height,
    size: m.bytes,
    url: mediaUrl(m.id),
    thumbnailUrl: m.mimeType.startsWith("image/") ? thumbnailUrl(m.id) : null,
    createdAt: m.createdAt.toISOString(),
  };
}

export type MediaJson = ReturnType<typeof mediaJson>;
