"use client";

import { useState } from "react";
import { api } from "../../components/api";
import { MessageText } from "../../components/MessageText";
import { bskyPostUrl } from "../../components/richtext";
import { StatusBadge } from "../../components/StatusBadge";
import { formatInZone, formatTime } from "../../components/time";
import type { Delivery, Post } from "../../components/types";

/** One account's side of a post: status, attempts, what is live (each thread part), the last error, retry. */
export function DeliveryRow({ delivery, handle, timeZone, onPost }: { delivery: Delivery; handle: string; timeZone: string; onPost(p: Post): void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const url = bskyPostUrl(delivery.remoteUri);
  const segments = delivery.segments ?? [];
  const live = segments.filter((s) => s.status === "published" && s.uri);
  const partial = delivery.status === "partially_published";
  const waiting = delivery.waitingUntil && new Date(delivery.waitingUntil).getTime() > Date.now() ? delivery.waitingUntil : null;

  async function retry() {
    setBusy(true);
    setError(null);
    const res = await api<{ post: Post }>(`/api/deliveries/${delivery.id}/retry`, { method: "POST" });
    setBusy(false);
    if (res.ok) onPost(res.data.post);
    else setError(res.error.message);
  }

  return (
    <li data-delivery={delivery.id}>
      <strong>@{handle}</strong>
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
          View on Bluesky ↗
        </a>
      )}
      {waiting && (
        <span className="small" data-testid="rate-limit-wait" style={{ color: "var(--warn)" }}>
          Waiting for Bluesky&apos;s rate limit until <time dateTime={waiting}>{formatTime(waiting, timeZone)}</time>
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
            const href = s.status === "published" ? bskyPostUrl(s.uri) : undefined;
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
