"use client";

import Link from "next/link";
import { useEffect, useState, type FormEvent } from "react";
import { call, client, problemList, type ApiBody } from "../../components/api";
import { Loading, Problems, StatusBadge } from "../../components/StatusBadge";
import { browserTimeZone, formatInZone, inputValuesIn } from "../../components/time";
import type { Account, Post } from "../../components/types";
import { WhenPicker } from "../../components/WhenPicker";
import { buildCreateBody } from "./buildRequest";
import { clearDraft, emptyDraft, emptySegment, useDraft, type Draft } from "./draft";
import { BlueskyOptions } from "./BlueskyOptions";
import { PostPreview } from "./PostPreview";
import { defaultRich, rememberLangs } from "./richOptions";
import { SegmentEditor } from "./SegmentEditor";
import { descriptorsFor, displayHandle, PlatformIcon, usePlatforms } from "../../components/platforms";

/** The API names a thread's parts "post N of the thread" (or "the post" when there is one): show each under its part. */
function problemsOfSegment(problems: string[], index: number, count: number): string[] {
  const prefix = count > 1 ? `post ${index + 1} of the thread` : "the post";
  return problems.filter((p) => p.startsWith(`${prefix}:`) || p.startsWith(`${prefix},`)).map((p) => p.slice(prefix.length + 1).trim());
}

function defaultDraft(): Draft {
  const tz = browserTimeZone();
  // An hour from now, rounded up to the next quarter hour: a sensible first guess.
  const quarter = 15 * 60_000;
  const inAnHour = new Date(Math.ceil((Date.now() + 60 * 60_000) / quarter) * quarter);
  return { ...emptyDraft(tz), ...inputValuesIn(inAnHour, tz) };
}

export function Composer() {
  const [draft, update, restored] = useDraft(defaultDraft);
  const [accounts, setAccounts] = useState<Account[] | null>(null);
  const platforms = usePlatforms();
  const [loadError, setLoadError] = useState<string | null>(null);
  const [problems, setProblems] = useState<string[]>([]);
  const [showAltErrors, setShowAltErrors] = useState(false);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<Post | null>(null);

  useEffect(() => {
    void call(client.GET("/api/accounts")).then((res) => (res.ok ? setAccounts(res.data.accounts) : setLoadError(res.error.message)));
  }, []);

  // Whatever was wrong is re-checked at the next submit; stale messages go as soon as the draft changes.
  useEffect(() => setProblems([]), [draft]);

  // With one account there is nothing to choose.
  useEffect(() => {
    if (accounts?.length === 1 && draft && draft.accountIds.length === 0) update((d) => ({ ...d, accountIds: [accounts[0]!.id] }));
  }, [accounts, draft, update]);

  if (!draft) return <Loading rows={3} label="Loading the composer" />;

  const setSegments = (f: (s: Draft["segments"]) => Draft["segments"]) => update((d) => ({ ...d, segments: f(d.segments) }));
  const move = (i: number, delta: number) =>
    setSegments((s) => {
      const next = [...s];
      const [item] = next.splice(i, 1);
      next.splice(i + delta, 0, item!);
      return next;
    });

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!draft) return;
    setShowAltErrors(true);
    // Untouched options are the defaults (the last languages chosen): they are sent too.
    const { body, problems: local } = buildCreateBody({ ...draft, rich: draft.rich ?? defaultRich() });
    setProblems(local);
    if (!body) return;
    setBusy(true);
    const res = await call(client.POST("/api/posts", { body: body as ApiBody<"/api/posts", "post"> })) // buildCreateBody checks the draft; the server validates the rest;
    setBusy(false);
    if (!res.ok) {
      setProblems(problemList(res.error));
      return;
    }
    setCreated(res.data.post);
    rememberLangs((draft.rich ?? defaultRich()).langs);
    clearDraft();
    update((d) => ({ ...defaultDraft(), accountIds: d.accountIds, timeZone: d.timeZone }));
    setShowAltErrors(false);
  }

  const active = (accounts ?? []).filter((a) => a.status === "active");
  // Drafts from before the Bluesky options start with the user's last languages.
  const rich = draft.rich ?? defaultRich();
  const previewHandle = active.find((a) => draft.accountIds.includes(a.id))?.handle ?? "you";
  const chosenPlatforms = descriptorsFor(platforms, draft.accountIds);
  const inactive = (accounts ?? []).filter((a) => a.status !== "active");

  return (
    <form onSubmit={submit} noValidate aria-label="Compose a post">
      <div className="page-head">
        <div>
          <h1>Compose</h1>
          <p className="muted">Write once, post to every account you pick. A thread is a post with more parts.</p>
        </div>
        {restored && <span className="badge badge-info">Draft restored</span>}
      </div>
      {created && (
        <div className="alert alert-ok" role="status">
          {created.status === "scheduled" && new Date(created.scheduledAt).getTime() > Date.now() + 5_000
            ? `Scheduled for ${formatInZone(created.scheduledAt, created.timeZone)} (${created.timeZone}).`
            : "On its way: publishing now."}{" "}
          <Link href="/posts">See it in your posts</Link>
        </div>
      )}
      <div className="grid-2">
        <div>
          {draft.segments.map((s, i) => (
            <SegmentEditor
              key={s.id}
              segment={s}
              index={i}
              count={draft.segments.length}
              showAltErrors={showAltErrors}
              problems={problemsOfSegment(problems, i, draft.segments.length)}
              platforms={chosenPlatforms}
              onChange={(seg) => setSegments((list) => list.map((x) => (x.id === seg.id ? seg : x)))}
              onImage={(imageId, patch) =>
                setSegments((list) =>
                  list.map((x) => ({
                    ...x,
                    images: patch ? x.images.map((i) => (i.id === imageId ? { ...i, ...patch } : i)) : x.images.filter((i) => i.id !== imageId),
                  })),
                )
              }
              onVideo={(update) => setSegments((list) => list.map((x) => (x.id === s.id ? { ...x, video: update(x.video) } : x)))}
              onRemove={() => setSegments((list) => list.filter((x) => x.id !== s.id))}
              onMove={(delta) => move(i, delta)}
            />
          ))}
          <div className="row" style={{ marginTop: "0.5rem" }}>
            <button type="button" className="btn-secondary btn-small" disabled={draft.segments.length >= 25} onClick={() => setSegments((list) => [...list, emptySegment()])}>
              + Add to thread
            </button>
            <span className="spacer" />
            <div className="legend-dots" aria-hidden="true">
              <span className="link">link</span>
              <span className="mention">mention</span>
              <span className="tag">hashtag</span>
            </div>
          </div>
          <PostPreview segments={draft.segments} rich={rich} handle={previewHandle} />
        </div>
        <div className="card sticky-side">
          <fieldset>
            <legend style={{ marginTop: 0 }}>Post to</legend>
            {accounts === null && !loadError && <Loading rows={1} label="Loading accounts" />}
            {loadError && <p className="error">Could not load your accounts: {loadError}</p>}
            {accounts?.length === 0 && (
              <p className="muted">
                No accounts yet. <Link href="/accounts">Connect a Bluesky or Mastodon account</Link> first.
              </p>
            )}
            {active.map((a) => (
              <label key={a.id} className="account-choice">
                <input
                  type="checkbox"
                  checked={draft.accountIds.includes(a.id)}
                  onChange={(e) => update((d) => ({ ...d, accountIds: e.target.checked ? [...d.accountIds, a.id] : d.accountIds.filter((x) => x !== a.id) }))}
                />
                <PlatformIcon platform={a.platform} /> {displayHandle(a.handle)}
              </label>
            ))}
            {inactive.map((a) => (
              <p key={a.id} className="small muted">
                <PlatformIcon platform={a.platform} /> {displayHandle(a.handle)} <StatusBadge status={a.status} /> <Link href="/accounts">reconnect</Link>
              </p>
            ))}
          </fieldset>
          <fieldset>
            <legend>When</legend>
            <div className="when-choice">
              <label className="account-choice">
                <input type="radio" name="when" checked={draft.when === "now"} onChange={() => update((d) => ({ ...d, when: "now" }))} /> Post now
              </label>
              <label className="account-choice">
                <input type="radio" name="when" checked={draft.when === "schedule"} onChange={() => update((d) => ({ ...d, when: "schedule" }))} /> Schedule
              </label>
            </div>
            {draft.when === "schedule" && (
              <WhenPicker idPrefix="when" value={{ date: draft.date, time: draft.time, timeZone: draft.timeZone }} onChange={(v) => update((d) => ({ ...d, ...v }))} />
            )}
          </fieldset>
          <BlueskyOptions value={rich} onChange={(r) => update((d) => ({ ...d, rich: r }))} />
          <Problems title="The post cannot go out yet:" items={problems} />
          <div className="btn-row">
            <button type="submit" disabled={busy} style={{ flex: 1 }}>
              {busy ? "Sending…" : draft.when === "now" ? "Post now" : "Schedule post"}
            </button>
            <button
              type="button"
              className="btn-secondary"
              onClick={() => {
                clearDraft();
                update((d) => ({ ...defaultDraft(), accountIds: d.accountIds, timeZone: d.timeZone }));
                setProblems([]);
              }}
            >
              Clear
            </button>
          </div>
        </div>
      </div>
    </form>
  );
}
