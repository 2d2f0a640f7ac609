"use client";

import { useEffect, useState, type ChangeEvent } from "react";

interface ImportedPost {
  id: string;
  scheduledAt: string;
  status: string;
}
type RowProblem = { row: number; line?: number; message: string };
type Phase =
  | { kind: "idle" }
  | { kind: "sending"; name: string }
  | { kind: "refused"; message: string; rows: RowProblem[] }
  | { kind: "imported"; posts: ImportedPost[] };

const DONE = new Set(["published", "failed", "partially_failed", "cancelled"]);

/**
 * Bulk import (POST /api/posts/import): the file goes up as it is (CSV or JSON); a refusal lists
 * the bad rows (nothing was stored); after an import, the batch's publishing progress is
 * polled until every post has settled. One Idempotency-Key per chosen file, so a double
 * submit or a retried upload never imports twice.
 */
export function ImportPosts() {
  const [phase, setPhase] = useState<Phase>({ kind: "idle" });

  async function upload(e: ChangeEvent<HTMLInputElement>) {
    const file = e.currentTarget.files?.[0];
    e.currentTarget.value = "";
    if (!file) return;
    setPhase({ kind: "sending", name: file.name });
    const json = file.name.toLowerCase().endsWith(".json") || file.type === "application/json";
    const res = await fetch("/api/posts/import", {
      method: "POST",
      headers: { "content-type": json ? "application/json" : "text/csv", "idempotency-key": crypto.randomUUID() },
      body: await file.text(),
    }).catch(() => undefined);
    const body = (await res?.json().catch(() => undefined)) as
      | { posts?: ImportedPost[]; error?: { message: string; details?: { rows?: RowProblem[] } } }
      | undefined;
    if (res?.ok && body?.posts) return setPhase({ kind: "imported", posts: body.posts });
    setPhase({ kind: "refused", message: body?.error?.message ?? "PostMore did not answer. Try again.", rows: body?.error?.details?.rows ?? [] });
  }

  return (
    <section className="card" aria-labelledby="import-title">
      <h2 id="import-title">Import posts</h2>
      <p className="muted small">
        A CSV (columns <code>text, scheduledAt, timeZone, accounts</code>) or JSON file; accounts by handle or id. Every row is
        checked first: one bad row and nothing is imported.
      </p>
      <label htmlFor="import-file">File</label>
      <input id="import-file" type="file" accept=".csv,.json,text/csv,application/json" onChange={(e) => void upload(e)} disabled={phase.kind === "sending"} />
      {phase.kind === "sending" && <p role="status">Checking and scheduling {phase.name}…</p>}
      {phase.kind === "refused" && (
        <div role="alert">
          <p>{phase.message}</p>
          {phase.rows.length > 0 && (
            <ul aria-label="Invalid rows">
              {phase.rows.map((r) => (
                <li key={r.row}>
                  Row {r.row}
                  {r.line ? ` (line ${r.line})` : ""}: {r.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      {phase.kind === "imported" && <ImportProgress posts={phase.posts} />}
    </section>
  );
}

/** Polls the imported posts (by their time range, a page at a time) until all have settled. */
function ImportProgress({ posts }: { posts: ImportedPost[] }) {
  const [statuses, setStatuses] = useState(() => new Map(posts.map((p) => [p.id, p.status])));
  const settled = [...statuses.values()].filter((s) => DONE.has(s)).length;
  const published = [...statuses.values()].filter((s) => s === "published").length;
  const failed = [...statuses.values()].filter((s) => s === "failed" || s === "partially_failed").length;

  useEffect(() => {
    if (settled === posts.length) return;
    const times = posts.map((p) => Date.parse(p.scheduledAt));
    const from = new Date(Math.min(...times)).toISOString();
    const to = new Date(Math.max(...times) + 1000).toISOString();
    const poll = async () => {
      const next = new Map(statuses);
      let cursor: string | undefined;
      for (let page = 0; page < 10; page++) {
        const query = new URLSearchParams({ from, to, limit: "100", ...(cursor ? { cursor } : {}) });
        const res = await fetch(`/api/posts?${query}`, { cache: "no-store" }).catch(() => undefined);
        if (!res?.ok) break;
        const body = (await res.json()) as { posts: ImportedPost[]; nextCursor?: string | null };
        for (const p of body.posts) if (next.has(p.id)) next.set(p.id, p.status);
        if (!body.nextCursor) break;
        cursor = body.nextCursor;
      }
      setStatuses(next);
    };
    const timer = setTimeout(() => void poll(), 3000);
    return () => clearTimeout(timer);
  }, [posts, statuses, settled]);

  return (
    <div role="status" aria-label="Import progress">
      <p>
        Imported {posts.length} post{posts.length === 1 ? "" : "s"}: {published} published, {failed} failed, {posts.length - settled} waiting.
      </p>
      <progress max={posts.length} value={settled} aria-label="Posts settled" />
    </div>
  );
}
