import type { PostWithDeliveries } from "../db/queries/posts";
import type { PostContentJson } from "../db/queries/posts";
import type { DeliveryAttempt } from "../db/schema";

/** The API shape of a post (DESIGN.md, "The HTTP contract"). Image bytes are not echoed back. */
export function postJson(p: PostWithDeliveries, history?: DeliveryAttempt[]) {
  const content = (p.post.content ?? {}) as PostContentJson;
  const imageMeta = (imgs?: PostContentJson["images"]) => imgs?.map((i) => ({ mimeType: i.mimeType, alt: i.alt }));
  return {
    id: p.post.id,
    text: p.post.text,
    scheduledAt: p.post.scheduledAt.toISOString(),
    timeZone: p.post.timeZone,
    status: p.post.status,
    ...(content.langs?.length ? { langs: content.langs } : {}),
    ...(content.images?.length ? { images: imageMeta(content.images) } : {}),
    ...(content.thread?.length
      ? { thread: content.thread.map((s) => ({ text: s.text, ...(s.images?.length ? { images: imageMeta(s.images) } : {}) })) }
      : {}),
    createdAt: p.post.createdAt.toISOString(),
    updatedAt: p.post.updatedAt.toISOString(),
    deliveries: p.deliveries.map((d) => ({
      id: d.id,
      accountId: d.accountId,
      status: d.status,
      remoteUri: d.remoteUri,
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
