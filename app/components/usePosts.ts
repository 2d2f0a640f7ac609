"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import { api } from "./api";
import type { Account, Post } from "./types";

export interface PostsFilter {
  status: string;
  accountId: string;
}

/**
 * The signed-in user's posts (newest scheduled first) and accounts, polled every few seconds
 * while the tab is visible so deliveries turn "published" without a reload.
 */
export function usePosts(filter: PostsFilter, limit: number, pollMs = 4000) {
  const [posts, setPosts] = useState<Post[] | null>(null);
  const [hasMore, setHasMore] = useState(false);
  const [accounts, setAccounts] = useState<Account[]>([]);
  const [error, setError] = useState<string | null>(null);
  const seq = useRef(0);

  const load = useCallback(async () => {
    const mine = ++seq.current;
    const q = new URLSearchParams({ limit: String(limit) });
    if (filter.status) q.set("status", filter.status);
    if (filter.accountId) q.set("accountId", filter.accountId);
    const res = await api<{ posts: Post[]; nextCursor: string | null }>(`/api/posts?${q}`);
    if (mine !== seq.current) return; // a newer request (filter change) answers instead
    if (res.ok) {
      setPosts(res.data.posts);
      setHasMore(res.data.nextCursor !== null);
      setError(null);
    } else setError(res.error.message);
  }, [filter.status, filter.accountId, limit]);

  useEffect(() => {
    void api<{ accounts: Account[] }>("/api/accounts").then((r) => r.ok && setAccounts(r.data.accounts));
  }, []);

  useEffect(() => {
    setPosts(null);
    void load();
    const t = setInterval(() => {
      if (document.visibilityState === "visible") void load();
    }, pollMs);
    return () => clearInterval(t);
  }, [load, pollMs]);

  const replace = (p: Post) => setPosts((list) => (list ?? []).map((x) => (x.id === p.id ? p : x)));
  return { posts, hasMore, accounts, error, reload: load, replace };
}
