import type { PublishRequest } from "../platform";
import type { MastodonPublishRequest } from "./publish";

/**
 * Today's platform request in Mastodon's terms, for the wiring that comes with the
 * platform-neutral core: the per-segment keys chosen at scheduling (Bluesky record keys,
 * unique per delivery) serve as Idempotency-Keys, images arrive as base64, and Mastodon
 * takes one ISO 639 language where Bluesky takes up to three BCP-47 tags.
 */
export function fromPlatformRequest(request: PublishRequest): MastodonPublishRequest {
  const { segments, langs } = request.content;
  if (request.rkeys.length !== segments.length) {
    throw new TypeError(`internal: ${request.rkeys.length} keys for ${segments.length} segments`);
  }
  const language = langs?.[0]?.split("-")[0]?.toLowerCase();
  return {
    segments: segments.map((segment, i) => ({
      text: segment.text,
      idempotencyKey: request.rkeys[i]!,
      images: (segment.images ?? []).map((image) => ({ bytes: Buffer.from(image.data, "base64"), mimeType: image.mimeType, alt: image.alt })),
    })),
    ...(language ? { language } : {}),
  };
}
