"use client";

import { useState } from "react";
import { call, client } from "../../components/api";
import { MessageText } from "../../components/MessageText";
import type { PlatformName } from "../../lib/api/platform";
import { displayHandle, PlatformIcon } from "../../components/platforms";
import { bskyPostUrl } from "../../components/richtext";
import { StatusBadge } from "../../components/StatusBadge";
import { formatInZone, formatTime } from "../../components/time";
import type { Delivery, Post } from "../../components/types";

/** One account's side of a post: status, attempts, what is live (each thread part), the last error, retry. */
export function DeliveryRow({
  delivery,
  handle,
  timeZone,
  onPost,
  platform = "bluesky",
}: {
  delivery: Delivery;
  handle: string;
  timeZone: string;
  onPost(p: Post): void;
  platform?: PlatformName;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const label = platform === "mastodon" ? "Mastodon" : "Bluesky";
  const url = viewUrl(delivery.segments?.[0]?.url, delivery.remoteUri);
  const segments = delivery.segments ?? [];
  const live = segments.filter((s) => s.status === "published" && s.uri);
  const partial = delivery.status === "partially_published";
  const waiting = delivery.waitingUntil && new Date(delivery.waitingUntil).getTime() > Date.now() ? delivery.waitingUntil : null;

  async function retry() {
    setBusy(true);
    setError(null);
    const res = await call(client.POST("/api/deliveries/{id}/retry", { params: { path: { id: delivery.id } } }));
    setBusy(false);
    if (res.ok) onPost(res.data.post);
    else setError(res.error.message);
  }

  return (
    <li data-delivery={delivery.id}>
      <PlatformIcon platform={platform} />
      <strong>{displayHandle(handle)}</strong>
      <StatusBadge status={delivery.status} />
      {delivery.attempts > 0 && (
        <span className="muted small">
          {delivery.attempts} attempt{delivery.attempts === 1 ? "" : "s"}
        </span>
      )}
      {delivery.publishedAt && (
        <span className="muted small">
          published <time dateTime={delivery.publishedAt}>{formatInZone(delivery.publishedAt, timeZone, { year: undefined, weekday: undefined })}</time>
        </span>
      )}
      {url && !partial && (
        <a href={url} target="_blank" rel="noreferrer" className="small" data-testid="published-link">
          View on {hostOf(url)} ↗
        </a>
      )}
      {waiting && (
        <span className="small" data-testid="rate-limit-wait" style={{ color: "var(--warn)" }}>
          Waiting for {label}&apos;s rate limit until <time dateTime={waiting}>{formatTime(waiting, timeZone)}</time>
        </span>
      )}
      {(delivery.status === "failed" || partial) && (
        <button type="button" className="btn-secondary btn-small" disabled={busy} onClick={() => void retry()}>
          {busy ? "Retrying…" : partial ? "Finish the thread" : "Retry"}
        </button>
      )}
      {segments.length > 1 && (live.length > 0 || partial) && (
        <span className="small" style={{ flexBasis: "100%" }} data-testid="live-parts">
          {partial ? `${live.length} of ${segments.length} parts are live: ` : "Parts: "}
          {segments.map((s) => {
            const href = s.status === "published" ? viewUrl(s.url, s.uri) : undefined;
            return (
              <span key={s.index} style={{ marginRight: "0.6rem" }}>
                {href ? (
                  <a href={href} target="_blank" rel="noreferrer">
                    part {s.index + 1} ↗
                  </a>
                ) : (
                  <span className="muted">
                    part {s.index + 1} ({s.status === "failed" ? "not posted" : "not yet"})
                  </span>
                )}
              </span>
            );
          })}
        </span>
      )}
      {delivery.lastError && delivery.status !== "published" && (
        <span className="small" style={{ flexBasis: "100%", color: delivery.status === "failed" || partial ? "var(--danger)" : "var(--muted)" }}>
          {delivery.status === "failed" || partial ? "Why it failed: " : "Last try: "}
          <MessageText text={delivery.lastError} />
        </span>
      )}
      {error && (
        <span className="field-error" role="alert" style={{ flexBasis: "100%" }}>
          <MessageText text={error} />
        </span>
      )}
    </li>
  );
}

/**
 * The server's link (the Mastodon status page; for Bluesky, bsky.app only for accounts on
 * Bluesky's own hosting, else the record on the account's PDS). Deliveries published before
 * links were stored have only their at:// URI: those keep the bsky.app link they always had.
 */
function viewUrl(url: string | null | undefined, uri: string | null): string | undefined {
  return url ?? bskyPostUrl(uri);
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "the platform";
  }
}
