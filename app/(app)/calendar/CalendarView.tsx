"use client";

import { useEffect, useMemo, useState } from "react";
import { api } from "../../components/api";
import { Loading } from "../../components/StatusBadge";
import { allTimeZones, browserTimeZone, instantFromInputs, isoInZone, wallTimeIn } from "../../components/time";
import type { Post } from "../../components/types";
import { usePosts } from "../../components/usePosts";
import { PostCard } from "../posts/PostCard";
import { addDays, addMonths, dayKeyIn, label, visibleDays } from "./days";

const NO_FILTER = { status: "", accountId: "" };

/** Week and month views in the author's time zone; drag an upcoming post to another day to move it. */
export function CalendarView() {
  const [timeZone, setTimeZone] = useState("UTC");
  const [view, setView] = useState<"week" | "month">("month");
  const [anchor, setAnchor] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [dropTarget, setDropTarget] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const { posts, accounts, error, replace } = usePosts(NO_FILTER, 100, 6000);
  const byId = useMemo(() => new Map(accounts.map((a) => [a.id, a])), [accounts]);

  useEffect(() => {
    const tz = browserTimeZone();
    setTimeZone(tz);
    setAnchor(dayKeyIn(new Date(), tz));
  }, []);

  const byDay = useMemo(() => {
    const m = new Map<string, Post[]>();
    for (const p of posts ?? []) {
      const k = dayKeyIn(new Date(p.scheduledAt), timeZone);
      m.set(k, [...(m.get(k) ?? []), p].sort((a, b) => a.scheduledAt.localeCompare(b.scheduledAt)));
    }
    return m;
  }, [posts, timeZone]);

  if (!anchor) return <Loading rows={4} label="Loading the calendar" />;
  const today = dayKeyIn(new Date(), timeZone);
  const days = visibleDays(anchor, view);
  const step = (n: number) => setAnchor(view === "week" ? addDays(anchor, 7 * n) : addMonths(anchor, n));
  const chosen = posts?.find((p) => p.id === selected);

  async function moveTo(postId: string, day: string) {
    const post = posts?.find((p) => p.id === postId);
    if (!post || post.status !== "scheduled") return;
    const w = wallTimeIn(new Date(post.scheduledAt), timeZone);
    const at = instantFromInputs(day, `${String(w.hour).padStart(2, "0")}:${String(w.minute).padStart(2, "0")}`, timeZone);
    if (!at) return;
    const res = await api<{ post: Post }>(`/api/posts/${post.id}`, { method: "PATCH", body: { scheduledAt: isoInZone(at, timeZone), timeZone } });
    if (res.ok) {
      replace(res.data.post);
      setMessage(`Moved to ${label(day, { weekday: "long", day: "numeric", month: "long" })}.`);
    } else setMessage(`Could not move it: ${res.error.message}`);
  }

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Calendar</h1>
          <p className="muted">Drag an upcoming post to another day to move it (same time of day).</p>
        </div>
      </div>
      <div className="cal-head">
        <div className="tabs" role="group" aria-label="View">
          {(["week", "month"] as const).map((v) => (
            <button key={v} type="button" aria-pressed={view === v} onClick={() => setView(v)}>
              {v === "week" ? "Week" : "Month"}
            </button>
          ))}
        </div>
        <button type="button" className="btn-secondary" onClick={() => step(-1)} aria-label="Previous">
          ←
        </button>
        <button type="button" className="btn-secondary" onClick={() => setAnchor(today)}>
          Today
        </button>
        <button type="button" className="btn-secondary" onClick={() => step(1)} aria-label="Next">
          →
        </button>
        <strong style={{ marginLeft: "0.5rem" }}>{label(anchor, view === "month" ? { month: "long", year: "numeric" } : { day: "numeric", month: "short", year: "numeric" })}</strong>
        <span className="spacer" />
        <label htmlFor="cal-tz" className="visually-hidden">
          Time zone
        </label>
        <select id="cal-tz" value={timeZone} onChange={(e) => setTimeZone(e.target.value)} style={{ width: "auto", maxWidth: "14rem" }}>
          {allTimeZones().map((z) => (
            <option key={z} value={z}>
              {z.replace(/_/g, " ")}
            </option>
          ))}
        </select>
      </div>
      {error && <div className="alert alert-error">Could not load posts: {error}</div>}
      {message && (
        <div className="alert alert-ok" role="status">
          {message}
        </div>
      )}
      <div className={`cal ${view}`} role="grid" aria-label="Posts by day">
        {days.slice(0, 7).map((d) => (
          <div key={`h-${d}`} className="cal-dow" role="columnheader">
            {label(d, { weekday: "short" })}
          </div>
        ))}
        {days.map((d) => (
          <div
            key={d}
            role="gridcell"
            className={`cal-day${d.slice(0, 7) !== anchor.slice(0, 7) && view === "month" ? " other" : ""}${d === today ? " today" : ""}${dropTarget === d ? " drop" : ""}`}
            onDragOver={(e) => {
              e.preventDefault();
              setDropTarget(d);
            }}
            onDragLeave={() => setDropTarget((t) => (t === d ? null : t))}
            onDrop={(e) => {
              e.preventDefault();
              setDropTarget(null);
              void moveTo(e.dataTransfer.getData("text/plain"), d);
            }}
          >
            <span className="cal-date">{label(d, view === "week" ? { day: "numeric", month: "short" } : { day: "numeric" })}</span>
            {(byDay.get(d) ?? []).map((p) => {
              const w = wallTimeIn(new Date(p.scheduledAt), timeZone);
              return (
                <button
                  key={p.id}
                  type="button"
                  className={`cal-post ${p.status}`}
                  draggable={p.status === "scheduled"}
                  onDragStart={(e) => e.dataTransfer.setData("text/plain", p.id)}
                  onClick={() => setSelected(p.id)}
                  title={p.text}
                >
                  {String(w.hour).padStart(2, "0")}:{String(w.minute).padStart(2, "0")} {p.text || "(images)"}
                </button>
              );
            })}
          </div>
        ))}
      </div>
      {posts === null && !error && <p className="muted">Loading posts…</p>}
      {chosen && (
        <ul className="list" style={{ marginTop: "1rem" }} aria-label="Selected post">
          <PostCard post={chosen} accounts={byId} onPost={replace} />
        </ul>
      )}
    </>
  );
}
