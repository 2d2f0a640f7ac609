"use client";

import { useState } from "react";
import { api } from "../../components/api";
import { bskyPostUrl } from "../../components/richtext";
import { StatusBadge } from "../../components/StatusBadge";
import { formatInZone } from "../../components/time";
import type { Delivery, Post } from "../../components/types";

/** One account's side of a post: status, attempts, the published link, the last error, retry. */
export function DeliveryRow({ delivery, handle, timeZone, onPost }: { delivery: Delivery; handle: string; timeZone: string; onPost(p: Post): void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const url = bskyPostUrl(delivery.remoteUri);

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
          published <time dateTime={delivery.publishedAt}>{formatInZone(delivery.publishedAt, timeZone, { year: undefined, weekday: undefined, second: "2-digit" })}</time>
        </span>
      )}
      {url && (
        <a href={url} target="_blank" rel="noreferrer" className="small" data-testid="published-link">
          View on Bluesky ↗
        </a>
      )}
      {delivery.status === "failed" && (
        <button type="button" className="btn-secondary btn-small" disabled={busy} onClick={() => void retry()}>
          {busy ? "Retrying…" : "Retry"}
        </button>
      )}
      {delivery.lastError && delivery.status !== "published" && (
        <span className="small" style={{ flexBasis: "100%", color: delivery.status === "failed" ? "var(--danger)" : "var(--muted)" }}>
          {delivery.status === "failed" ? "Why it failed: " : "Last try: "}
          {delivery.lastError}
        </span>
      )}
      {error && (
        <span className="field-error" role="alert" style={{ flexBasis: "100%" }}>
          {error}
        </span>
      )}
    </li>
  );
}
