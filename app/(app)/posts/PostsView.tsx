"use client";

import Link from "next/link";
import { useMemo, useState } from "react";
import { Loading } from "../../components/StatusBadge";
import { usePosts, type PostsFilter } from "../../components/usePosts";
import { ExportPosts } from "./ExportPosts";
import { ImportPosts } from "./ImportPosts";
import { PostCard } from "./PostCard";

const PAGE_SIZE = 50;

const STATUSES = [
  ["", "All posts"],
  ["scheduled", "Upcoming"],
  ["publishing", "Publishing"],
  ["published", "Published"],
  ["failed", "Failed"],
  ["partially_failed", "Partly failed"],
  ["cancelled", "Cancelled"],
] as const;

export function PostsView() {
  const [filter, setFilter] = useState<PostsFilter>({ status: "", accountId: "" });
  const [pages, setPages] = useState(1);
  const { posts, hasMore, accounts, error, reload, replace } = usePosts(filter, { pageSize: PAGE_SIZE, pages });
  const byId = useMemo(() => new Map(accounts.map((a) => [a.id, a])), [accounts]);
  const filtered = filter.status !== "" || filter.accountId !== "";

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Posts</h1>
          <p className="muted">Times are shown in each post&apos;s own time zone. This page updates itself.</p>
        </div>
        <ExportPosts />
        <Link href="/compose" className="btn" style={{ marginTop: 0 }}>
          + New post
        </Link>
      </div>
      <div className="filters" role="search" aria-label="Filter posts">
        <div>
          <label htmlFor="filter-status">Status</label>
          <select id="filter-status" value={filter.status} onChange={(e) => {
              setPages(1);
              setFilter((f) => ({ ...f, status: e.target.value }));
            }}>
            {STATUSES.map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="filter-account">Account</label>
          <select id="filter-account" value={filter.accountId} onChange={(e) => {
              setPages(1);
              setFilter((f) => ({ ...f, accountId: e.target.value }));
            }}>
            <option value="">All accounts</option>
            {accounts.map((a) => (
              <option key={a.id} value={a.id}>
                @{a.handle}
              </option>
            ))}
          </select>
        </div>
      </div>
      {error && (
        <div className="alert alert-error" role="alert">
          Could not load posts: {error}{" "}
          <button type="button" className="btn-small btn-secondary" onClick={() => void reload()}>
            Try again
          </button>
        </div>
      )}
      {posts === null && !error && <Loading rows={3} label="Loading posts" />}
      {posts?.length === 0 && (
        <div className="empty">
          <strong>{filtered ? "No posts match this filter" : "No posts yet"}</strong>
          {filtered ? "Try another status or account." : <Link href="/compose">Write your first post</Link>}
        </div>
      )}
      {posts && posts.length > 0 && (
        <ul className="list" aria-label="Posts">
          {posts.map((p) => (
            <PostCard key={p.id} post={p} accounts={byId} onPost={replace} />
          ))}
        </ul>
      )}
      {posts && posts.length > 0 && (
        <p className="muted small" style={{ textAlign: "center" }} data-testid="posts-count">
          {posts.length} post{posts.length === 1 ? "" : "s"} shown{hasMore ? "" : " (all)"}
        </p>
      )}
      {hasMore && (
        <div style={{ textAlign: "center" }}>
          <button type="button" className="btn-secondary" onClick={() => setPages((n) => n + 1)}>
            Show {PAGE_SIZE} more
          </button>
        </div>
      )}
      <ImportPosts />
    </>
  );
}
