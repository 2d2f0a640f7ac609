"use client";

import { useEffect, useMemo, useState, type DragEvent } from "react";
import { call, client } from "../../components/api";
import { Loading } from "../../components/StatusBadge";
import { browserTimeZone, formatTime, instantFromInputs, isoInZone, resolveWallTime, wallTimeIn } from "../../components/time";
import { TimeZonePicker } from "../../components/TimeZonePicker";
import type { Post } from "../../components/types";
import { usePosts } from "../../components/usePosts";
import { PostCard } from "../posts/PostCard";
import { addDays, addMonths, dayKeyIn, label, labelRange, visibleDays } from "./days";

const HOURS = Array.from({ length: 24 }, (_, h) => h);
const pad = (n: number) => String(n).padStart(2, "0");

/**
 * Week (hour grid) and month views in a time zone the viewer picks. Only the visible range is
 * loaded. Drag an upcoming post to another day (month) or hour (week) to move it; past days and
 * times refuse the drop.
 */
export function CalendarView() {
  const [timeZone, setTimeZone] = useState("UTC");
  const [view, setView] = useState<"week" | "month">("month");
  const [anchor, setAnchor] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [dropTarget, setDropTarget] = useState<string | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  const days = anchor ? visibleDays(anchor, view) : [];
  const first = days[0];
  const last = days[days.length - 1];
  const range = useMemo(() => {
    if (!first || !last) return { status: "", accountId: "", from: "1970-01-01T00:00:00Z", to: "1970-01-02T00:00:00Z" };
    const from = instantFromInputs(first, "00:00", timeZone);
    const to = instantFromInputs(addDays(last, 1), "00:00", timeZone);
    return { status: "", accountId: "", from: from?.toISOString(), to: to?.toISOString() };
  }, [first, last, timeZone]);
  const { posts, accounts, error, replace } = usePosts(range, { pageSize: 100, pages: "all" }, 6000);
  const byId = useMemo(() => new Map(accounts.map((a) => [a.id, a])), [accounts]);

  useEffect(() => {
    const tz = browserTimeZone();
    setTimeZone(tz);
    setAnchor(dayKeyIn(new Date(), tz));
  }, []);

  // Posts by "day" (month view) and by "day hour" (week view), earliest first.
  const buckets = useMemo(() => {
    const m = new Map<string, Post[]>();
    const add = (k: string, p: Post) => m.set(k, [...(m.get(k) ?? []), p]);
    for (const p of [...(posts ?? [])].sort((a, b) => a.scheduledAt.localeCompare(b.scheduledAt))) {
      const w = wallTimeIn(new Date(p.scheduledAt), timeZone);
      const day = `${w.year}-${pad(w.month)}-${pad(w.day)}`;
      add(day, p);
      add(`${day} ${w.hour}`, p);
    }
    return m;
  }, [posts, timeZone]);

  if (!anchor) return <Loading rows={4} label="Loading the calendar" />;
  const now = new Date();
  const today = dayKeyIn(now, timeZone);
  const nowHour = wallTimeIn(now, timeZone).hour;
  const step = (n: number) => setAnchor(view === "week" ? addDays(anchor, 7 * n) : addMonths(anchor, n));
  const chosen = posts?.find((p) => p.id === selected);
  const isPast = (day: string, hour?: number) => day < today || (day === today && hour !== undefined && hour < nowHour);

  async function moveTo(postId: string, day: string, hour?: number) {
    const post = posts?.find((p) => p.id === postId);
    if (!post || post.status !== "scheduled") return;
    if (isPast(day, hour)) {
      setMessage({ ok: false, text: "That day has passed: a post can only move to a time still ahead." });
      return;
    }
    const w = wallTimeIn(new Date(post.scheduledAt), timeZone);
    const resolved = resolveWallTime(day, `${pad(hour ?? w.hour)}:${pad(w.minute)}`, timeZone);
    if (!resolved) return;
    if (resolved.instant.getTime() < Date.now()) {
      setMessage({ ok: false, text: `${formatTime(resolved.instant, timeZone)} today has passed: a post can only move to a time still ahead.` });
      return;
    }
    const res = await call(client.PATCH("/api/posts/{id}", { params: { path: { id: post.id } }, body: { scheduledAt: isoInZone(resolved.instant, timeZone), timeZone } }));
    if (res.ok) {
      replace(res.data.post);
      const when = `${label(day, { weekday: "long", day: "numeric", month: "long" })}, ${formatTime(resolved.instant, timeZone)}`;
      setMessage({ ok: true, text: `Moved to ${when}.${resolved.note ? ` ${resolved.note}` : ""}` });
    } else setMessage({ ok: false, text: `Could not move it: ${res.error.message}` });
  }

  const dropHandlers = (key: string, day: string, hour?: number) =>
    isPast(day, hour)
      ? {}
      : {
          onDragOver: (e: DragEvent) => {
            e.preventDefault();
            setDropTarget(key);
          },
          onDragLeave: () => setDropTarget((t) => (t === key ? null : t)),
          onDrop: (e: DragEvent) => {
            e.preventDefault();
            setDropTarget(null);
            void moveTo(e.dataTransfer.getData("text/plain"), day, hour);
          },
        };

  const entry = (p: Post) => (
    <button
      key={p.id}
      type="button"
      className={`cal-post ${p.status}`}
      draggable={p.status === "scheduled"}
      onDragStart={(e) => e.dataTransfer.setData("text/plain", p.id)}
      onClick={() => setSelected(p.id)}
      title={`${formatTime(p.scheduledAt, timeZone)} ${p.text}${p.thread?.length ? ` (+${p.thread.length} more in the thread)` : ""}`}
      aria-pressed={selected === p.id}
    >
      <span className="cal-post-text">
        <time dateTime={p.scheduledAt}>{formatTime(p.scheduledAt, timeZone)}</time> {p.text || "(images)"}
      </span>
    </button>
  );

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Calendar</h1>
          <p className="muted">Drag an upcoming post to another {view === "week" ? "day or hour" : "day (same time of day)"} to move it. Tap a post to read it whole.</p>
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
        <strong style={{ marginLeft: "0.5rem" }} data-testid="cal-range">
          {view === "month" ? label(anchor, { month: "long", year: "numeric" }) : labelRange(first!, last!)}
        </strong>
        <span className="spacer" />
        <label htmlFor="cal-tz" className="visually-hidden">
          Time zone
        </label>
        <div className="cal-tz">
          <TimeZonePicker id="cal-tz" value={timeZone} onChange={setTimeZone} />
        </div>
      </div>
      {error && <div className="alert alert-error">Could not load posts: {error}</div>}
      {message && (
        <div className={`alert ${message.ok ? "alert-ok" : "alert-warn"}`} role="status">
          {message.text}
        </div>
      )}
      {view === "month" ? (
        <div className="cal month" role="grid" aria-label="Posts by day">
          {days.slice(0, 7).map((d) => (
            <div key={`h-${d}`} className="cal-dow" role="columnheader">
              {label(d, { weekday: "short" })}
            </div>
          ))}
          {days.map((d) => (
            <div
              key={d}
              role="gridcell"
              data-day={d}
              className={`cal-day${d.slice(0, 7) !== anchor.slice(0, 7) ? " other" : ""}${d === today ? " today" : ""}${isPast(d) ? " past" : ""}${dropTarget === d ? " drop" : ""}`}
              {...dropHandlers(d, d)}
            >
              <span className="cal-date">{label(d, { day: "numeric" })}</span>
              {(buckets.get(d) ?? []).map(entry)}
            </div>
          ))}
        </div>
      ) : (
        <div className="cal-week-wrap">
          <div className="cal-week" role="grid" aria-label="Posts by hour">
            <div className="cal-dow" role="columnheader" />
            {days.map((d) => (
              <div key={`h-${d}`} className={`cal-dow${d === today ? " today" : ""}`} role="columnheader">
                {label(d, { weekday: "short", day: "numeric", month: "short" })}
              </div>
            ))}
            {HOURS.map((h) => (
              <div key={h} className="cal-hour-row" role="row">
                <div className="cal-hour" role="rowheader">
                  {formatTime(new Date(Date.UTC(2000, 0, 1, h)), "UTC")}
                </div>
                {days.map((d) => {
                  const key = `${d} ${h}`;
                  return (
                    <div key={key} role="gridcell" data-day={d} data-hour={h} className={`cal-slot${isPast(d, h) ? " past" : ""}${dropTarget === key ? " drop" : ""}`} {...dropHandlers(key, d, h)}>
                      {(buckets.get(key) ?? []).map(entry)}
                    </div>
                  );
                })}
              </div>
            ))}
          </div>
        </div>
      )}
      {posts === null && !error && <p className="muted">Loading posts…</p>}
      {chosen && (
        <ul className="list" style={{ marginTop: "1rem" }} aria-label="Selected post">
          <PostCard post={chosen} accounts={byId} onPost={replace} />
        </ul>
      )}
    </>
  );
}
