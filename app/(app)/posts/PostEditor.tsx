"use client";

import { useState } from "react";
import { call, client, problemList } from "../../components/api";
import { descriptorsFor, lengthLevel, textLength, usePlatforms } from "../../components/platforms";
import { Problems } from "../../components/StatusBadge";
import { inputValuesIn, instantFromInputs, isoInZone } from "../../components/time";
import type { Post } from "../../components/types";
import { WhenPicker, type WhenValue } from "../../components/WhenPicker";

/** Edit the text or move the time of a post that has not gone out (PATCH /api/posts/:id). */
export function PostEditor({ post, mode, onDone, onCancel }: { post: Post; mode: "edit" | "reschedule"; onDone(p: Post): void; onCancel(): void }) {
  const [text, setText] = useState(post.text);
  const [when, setWhen] = useState<WhenValue>(() => ({ ...inputValuesIn(new Date(post.scheduledAt), post.timeZone), timeZone: post.timeZone }));
  const [problems, setProblems] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  // One counter per account the post goes to (once per distinct limits), against its own limit.
  const platforms = usePlatforms();
  const counters = descriptorsFor(platforms, post.deliveries.map((d) => d.accountId)).map((p) => {
    const length = textLength(p, text);
    return { platform: p, length, level: lengthLevel(length, p.text.maxLength) };
  });
  const level = counters.some((c) => c.level === "over") ? "over" : counters.some((c) => c.level === "warn") ? "warn" : "ok";

  async function save() {
    let body: Record<string, string>;
    if (mode === "edit") body = { text };
    else {
      const instant = instantFromInputs(when.date, when.time, when.timeZone);
      if (!instant) {
        setProblems(["Choose a date and a time."]);
        return;
      }
      body = { scheduledAt: isoInZone(instant, when.timeZone), timeZone: when.timeZone };
    }
    setBusy(true);
    const res = await call(client.PATCH("/api/posts/{id}", { params: { path: { id: post.id } }, body }));
    setBusy(false);
    if (res.ok) onDone(res.data.post);
    else setProblems(problemList(res.error));
  }

  return (
    <div className="composer-seg" style={{ marginTop: "0.75rem" }}>
      {mode === "edit" ? (
        <>
          <div className="row">
            <label htmlFor={`edit-${post.id}`} style={{ margin: 0 }}>
              Text
            </label>
            <span className="spacer" />
            {counters.map((c) => (
              <span key={c.platform.label} className={`counter ${c.level}`} data-counter={c.platform.name} title={`${c.platform.label} allows ${c.platform.text.maxLength}`}>
                {counters.length > 1 ? `${c.platform.label} ` : ""}
                {c.length}/{c.platform.text.maxLength}{" "}
              </span>
            ))}
          </div>
          <textarea id={`edit-${post.id}`} value={text} onChange={(e) => setText(e.target.value)} aria-invalid={level === "over" || undefined} style={{ marginTop: "0.3rem" }} />
        </>
      ) : (
        <WhenPicker idPrefix={`re-${post.id}`} value={when} onChange={setWhen} />
      )}
      <Problems items={problems} />
      <div className="btn-row">
        <button type="button" disabled={busy} onClick={() => void save()}>
          {busy ? "Saving…" : mode === "edit" ? "Save text" : "Reschedule"}
        </button>
        <button type="button" className="btn-secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}
