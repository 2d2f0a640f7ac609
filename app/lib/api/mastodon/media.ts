import { setTimeout as sleep } from "node:timers/promises";
import type { mastodon } from "masto";
import { TransientPlatformError } from "../platformErrors";
import { classifyMastodonError } from "./errors";

/**
 * POST /api/v2/media answers 200 when the file is ready or 202 while the instance still
 * processes it; then GET /api/v1/media/:id answers 206 until it is done. A status can only
 * attach finished media (422 otherwise), so we poll until the attachment has its URL.
 */

export interface MastodonImage {
  bytes: Uint8Array;
  mimeType: string;
  /** Alt text, sent as the attachment's `description`. */
  alt: string;
}

export interface MediaPolling {
  intervalMs: number;
  timeoutMs: number;
}

export async function uploadMedia(client: mastodon.rest.Client, image: MastodonImage, polling: MediaPolling, now = Date.now): Promise<string> {
  let attachment: mastodon.v1.MediaAttachment;
  try {
    // skipPolling: masto would poll every second for up to a minute; we poll on our own terms.
    attachment = await client.v2.media.create({
      file: new Blob([new Uint8Array(image.bytes)], { type: image.mimeType }),
      description: image.alt || null,
      skipPolling: true,
    });
  } catch (err) {
    throw classifyMastodonError(err, "uploading an image", now());
  }
  // Wall time, not the injectable clock: this is how long we are willing to wait here.
  const deadline = performance.now() + polling.timeoutMs;
  while (!attachment.url) {
    if (performance.now() > deadline) throw new TransientPlatformError(`Mastodon was still processing an image after ${polling.timeoutMs} ms`);
    await sleep(polling.intervalMs);
    try {
      attachment = await client.v1.media.$select(attachment.id).fetch();
    } catch (err) {
      throw classifyMastodonError(err, "waiting for an image to be processed", now());
    }
  }
  return attachment.id;
}
