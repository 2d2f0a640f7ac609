import type { Config } from "../config";
import { webhookEventTypes } from "../db/schema";
import { postLink } from "../lifecycle/exportPosts";

export { webhookEventTypes };
export type WebhookEventType = (typeof webhookEventTypes)[number];
/** Sent by "send test event" only; nobody subscribes to it. */
export const TEST_EVENT = "webhook.test";

export interface StoredEvent {
  id: string;
  type: string;
  createdAt: Date;
  data: Record<string, unknown>;
}

const obj = (v: unknown) => (v && typeof v === "object" ? (v as Record<string, unknown>) : {});

/** The post's page on its platform: a bsky.app page for an at:// URI, the URL itself when it is one (Mastodon). */
export function remoteLink(remoteUri: unknown): string | null {
  if (typeof remoteUri !== "string") return null;
  return postLink(remoteUri) ?? (/^https:\/\//.test(remoteUri) ? remoteUri : null);
}

/** Links a receiver can follow: absolute under PUBLIC_URL, else paths on the PostMore host. */
function links(config: Config, e: StoredEvent): Record<string, string | null> {
  const base = config.security.publicUrl ?? "";
  const data = e.data;
  if (e.type.startsWith("post.")) {
    const postId = String(obj(data.post).id ?? "");
    return { post: `${base}/api/posts/${postId}`, app: `${base}/posts`, remote: remoteLink(obj(data.delivery).remoteUri) };
  }
  if (e.type.startsWith("account.")) {
    return { account: `${base}/api/accounts/${String(obj(data.account).id ?? "")}`, reconnect: `${base}/accounts` };
  }
  return { webhooks: `${base}/settings` };
}

/**
 * The request body of an event: the same bytes on every retry (the outbox row and the config
 * decide it), so a receiver may compare or dedupe on it.
 */
export function eventBody(config: Config, e: StoredEvent): string {
  return JSON.stringify({ id: e.id, type: e.type, createdAt: e.createdAt.toISOString(), data: { ...e.data, links: links(config, e) } });
}
