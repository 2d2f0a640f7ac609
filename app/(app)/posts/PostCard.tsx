"use client";

import { useState } from "react";
import { call, client } from "../../components/api";
import { RichText } from "../../components/RichText";
import { StatusBadge } from "../../components/StatusBadge";
import { formatInZone, relativeTime, zoneAbbreviation } from "../../components/time";
import type { Account, ImageMeta, Post } from "../../components/types";
import { DeliveryRow } from "./DeliveryRow";
import { PostEditor } from "./PostEditor";

/** Thumbnails of one part's images, from the owner-only media routes (lists carry references, no bytes). */
function Thumbnails({ postId, segment, images }: { postId: string; segment: number; images?: ImageMeta[] }) {
  if (!images?.length) return null;
  return (
    <div className="thumbs">
      {images.map((img, n) => (
        <img
          key={n}
          src={img.mediaId ? `/api/media/${img.mediaId}/thumbnail` : `/api/posts/${postId}/images/${segment}/${n}`}
          alt={img.alt}
          title={img.alt}
          loading="lazy"
          width={64}
          height={64}
        />
      ))}
    </div>
  );
}

/** One post: text, when (in the author's zone), each account's delivery, and what can still be done. */
export function PostCard({ post, accounts, onPost }: { post: Post; accounts: Map<string, Account>; onPost(p: Post): void }) {
  const [mode, setMode] = useState<"view" | "edit" | "reschedule" | "cancel">("view");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const pending = post.status === "scheduled";
  const at = new Date(post.scheduledAt);
  const parts = [{ text: post.text, images: post.images }, ...(post.thread ?? [])];

  async function cancel() {
    setBusy(true);
    const res = await call(client.DELETE("/api/posts/{id}", { params: { path: { id: post.id } } }));
    setBusy(false);
    setMode("view");
    if (res.ok) onPost(res.data.post);
    else setError(res.error.message);
  }

  return (
    <li data-post={post.id} data-status={post.status}>
      <div className="item-head">
        <StatusBadge status={post.status} />
        <time dateTime={post.scheduledAt} className="small">
          {formatInZone(at, post.timeZone)} {zoneAbbreviation(at, post.timeZone)}
        </time>
        <span className="muted small">({relativeTime(post.scheduledAt)})</span>
        <span className="spacer" />
        {pending && mode === "view" && (
          <div className="row">
            <button type="button" className="btn-secondary btn-small" onClick={() => setMode("edit")}>
              Edit
            </button>
            <button type="button" className="btn-secondary btn-small" onClick={() => setMode("reschedule")}>
              Reschedule
            </button>
            <button type="button" className="btn-danger btn-small" onClick={() => setMode("cancel")}>
              Cancel post
            </button>
          </div>
        )}
      </div>
      {parts.length === 1 ? (
        <>
          <p className="post-text">
            <RichText text={post.text} />
          </p>
          <Thumbnails postId={post.id} segment={0} images={post.images} />
        </>
      ) : (
        <ol className="thread-parts" aria-label={`Thread of ${parts.length} posts`}>
          {parts.map((part, i) => (
            <li key={i}>
              <span className="muted small">
                {i + 1}/{parts.length}
              </span>
              <p className="post-text">
                <RichText text={part.text} />
              </p>
              <Thumbnails postId={post.id} segment={i} images={part.images} />
            </li>
          ))}
        </ol>
      )}
      <p className="meta" style={{ marginTop: 0 }}>
        {parts.length > 1 && <span>Thread of {parts.length} posts</span>}
        <span>Time zone: {post.timeZone.replace(/_/g, " ")}</span>
      </p>
      {mode === "cancel" && (
        <div className="alert alert-error" role="alertdialog" aria-label="Confirm cancel">
          Cancel this post? It will not be published to any account.
          <div className="btn-row">
            <button type="button" className="btn-danger" disabled={busy} onClick={() => void cancel()}>
              {busy ? "Cancelling…" : "Yes, cancel it"}
            </button>
            <button type="button" className="btn-secondary" onClick={() => setMode("view")} autoFocus>
              Keep it
            </button>
          </div>
        </div>
      )}
      {(mode === "edit" || mode === "reschedule") && (
        <PostEditor
          post={post}
          mode={mode}
          onCancel={() => setMode("view")}
          onDone={(p) => {
            setMode("view");
            onPost(p);
          }}
        />
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <ul className="deliveries" aria-label="Deliveries">
        {post.deliveries.map((d) => (
          <DeliveryRow
            key={d.id}
            delivery={d}
            handle={accounts.get(d.accountId)?.handle ?? "removed account"}
            platform={accounts.get(d.accountId)?.platform}
            timeZone={post.timeZone}
            onPost={onPost}
          />
        ))}
      </ul>
    </li>
  );
}
