"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import { call, client, type ApiQuery } from "./api";
import type { Account, Post, PostStatus } from "./types";

export interface PostsFilter {
  status: string;
  accountId: string;
  /** scheduledAt in [from, to), ISO 8601. */
  from?: string;
  to?: string;
}

/** The calendar wants every post of its range; a bound keeps one poll from running away. */
const MAX_PAGES_FOR_ALL = 50;

/**
 * The signed-in user's posts (newest scheduled first) and accounts, polled every few seconds
 * while the tab is visible so deliveries turn "published" without a reload. Pages follow the
 * API's cursor: `pages` pages of `pageSize` (or every page when `pages` is "all"); a poll walks the
 * same pages again, so a post on page 3 changes state as visibly as one on page 1.
 */
export function usePosts(filter: PostsFilter, opts: { pageSize: number; pages: number | "all" }, pollMs = 4000) {
  const [posts, setPosts] = useState<Post[] | null>(null);
  const [hasMore, setHasMore] = useState(false);
  const [accounts, setAccounts] = useState<Account[]>([]);
  const [error, setError] = useState<string | null>(null);
  const seq = useRef(0);
  const { pageSize, pages } = opts;

  const load = useCallback(async () => {
    const mine = ++seq.current;
    const all: Post[] = [];
    let cursor: string | null = null;
    const max = pages === "all" ? MAX_PAGES_FOR_ALL : pages;
    for (let page = 0; page < max; page++) {
      // Empty filters are left out (undefined is not sent).
      const query: ApiQuery<"/api/posts", "get"> = {
        limit: pageSize,
        status: (filter.status || undefined) as PostStatus | undefined,
        accountId: filter.accountId || undefined,
        from: filter.from || undefined,
        to: filter.to || undefined,
        cursor: cursor ?? undefined,
      };
      const res = await call(client.GET("/api/posts", { params: { query } }));
      if (mine !== seq.current) return; // a newer request (filter or range change) answers instead
      if (!res.ok) {
        setError(res.error.message);
        return;
      }
      all.push(...res.data.posts);
      cursor = res.data.nextCursor;
      if (!cursor) break;
    }
    setPosts(all);
    setHasMore(cursor !== null);
    setError(null);
  }, [filter.status, filter.accountId, filter.from, filter.to, pageSize, pages]);

  useEffect(() => {
    void call(client.GET("/api/accounts")).then((r) => r.ok && setAccounts(r.data.accounts));
  }, []);

  useEffect(() => {
    void load();
    const t = setInterval(() => {
      if (document.visibilityState === "visible") void load();
    }, pollMs);
    return () => clearInterval(t);
  }, [load, pollMs]);

  // A new filter empties the list (a spinner, not the old filter's posts); more pages keep it.
  useEffect(() => setPosts(null), [filter.status, filter.accountId, filter.from, filter.to]);

  const replace = (p: Post) => setPosts((list) => (list ?? []).map((x) => (x.id === p.id ? p : x)));
  return { posts, hasMore, accounts, error, reload: load, replace };
}
