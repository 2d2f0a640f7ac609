import type { PostWithDeliveries } from "../db/queries/posts";
import type { PostContentJson } from "../db/queries/posts";
import type { Delivery, DeliveryAttempt } from "../db/schema";
import { richJson } from "./rich";
import { imageJson } from "../media/postImages";
import { videoJson } from "../media/postVideos";

type SegmentStatus = "pending" | "published" | "failed";

/**
 * Each thread segment of a delivery: live ones with their URI and the web page that shows it
 * (`url`; null when unknown); after a failure, the first one
 * that is not live is the one that failed. Rows from before per-segment records knew only the
 * root's URI, so a published one counts every segment as published.
 */
function segmentsJson(d: Delivery): Array<{ index: number; status: SegmentStatus; uri: string | null; url: string | null }> {
  const count = Math.max(d.rkeys.length, 1);
  const live = d.segmentRecords ?? [];
  return Array.from({ length: count }, (_, index) => {
    const record = live[index];
    if (record) return { index, status: "published" as const, uri: record.uri, url: record.url ?? null };
    if (d.status === "published") return { index, status: "published" as const, uri: index === 0 ? d.remoteUri : null, url: null };
    const failedHere = (d.status === "failed" || d.status === "partially_published") && index === live.length;
    return { index, status: failedHere ? ("failed" as const) : ("pending" as const), uri: null, url: null };
  });
}

/** When the delivery waits for a platform's rate limit: until when (ISO), else null. */
function waitingUntilJson(d: Delivery): string | null {
  if (!d.waitingUntil || (d.status !== "pending" && d.status !== "publishing")) return null;
  return d.waitingUntil.getTime() > Date.now() ? d.waitingUntil.toISOString() : null;
}

/** The API shape of a post (DESIGN.md, "The HTTP contract"). Images are references (`{mediaId, alt, mimeType, url}`), never bytes. */
export function postJson(p: PostWithDeliveries, history?: DeliveryAttempt[], handles?: Map<string, string>) {
  const content = (p.post.content ?? {}) as PostContentJson;
  const imageMeta = (imgs?: PostContentJson["images"]) => imgs?.map(imageJson);
  const rich = richJson(content.rich);
  return {
    id: p.post.id,
    text: p.post.text,
    scheduledAt: p.post.scheduledAt.toISOString(),
    timeZone: p.post.timeZone,
    status: p.post.status,
    ...(content.langs?.length ? { langs: content.langs } : {}),
    ...(content.images?.length ? { images: imageMeta(content.images) } : {}),
    ...(content.video ? { video: videoJson(content.video) } : {}),
    ...rich.post,
    ...(content.thread?.length
      ? {
          thread: content.thread.map((s, i) => ({
            text: s.text,
            ...(s.images?.length ? { images: imageMeta(s.images) } : {}),
            ...(s.video ? { video: videoJson(s.video) } : {}),
            ...rich.thread[i],
          })),
        }
      : {}),
    createdAt: p.post.createdAt.toISOString(),
    updatedAt: p.post.updatedAt.toISOString(),
    deliveries: p.deliveries.map((d) => ({
      id: d.id,
      accountId: d.accountId,
      // The handle stays known after the account is disconnected (its published posts stay listed).
      ...(handles?.has(d.accountId) ? { accountHandle: handles.get(d.accountId) } : {}),
      status: d.status,
      remoteUri: d.remoteUri,
      segments: segmentsJson(d),
      waitingUntil: waitingUntilJson(d),
      attempts: d.attempts,
      lastError: d.lastError,
      publishedAt: d.publishedAt?.toISOString() ?? null,
      ...(history
        ? {
            history: history
              .filter((h) => h.deliveryId === d.id)
              .map((h) => ({
                attempt: h.attempt,
                outcome: h.outcome,
                error: h.error,
                startedAt: h.startedAt.toISOString(),
                finishedAt: h.finishedAt.toISOString(),
              })),
          }
        : {}),
    })),
  };
}

export type PostJson = ReturnType<typeof postJson>;
