"use client";

import { useCallback, useEffect, useState } from "react";
import { call, client, type ApiJson, type GetPath } from "../../components/api";

/** GETs `path` now and every `everyMs` while the tab is visible; `at` is when it last answered. */
export function usePoll<P extends GetPath>(path: P, everyMs: number) {
  const [data, setData] = useState<ApiJson<P, "get"> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [at, setAt] = useState<number | null>(null);

  const load = useCallback(async () => {
    // Polled paths have no parameters; the cast only widens the union openapi-fetch cannot narrow for a generic path.
    const res = await call(client.GET(path as "/api/admin/queues"));
    if (res.ok) {
      setData(res.data as ApiJson<P, "get">);
      setError(null);
      setAt(Date.now());
    } else setError(res.error.message);
  }, [path]);

  useEffect(() => {
    void load();
    const t = setInterval(() => {
      if (document.visibilityState === "visible") void load();
    }, everyMs);
    return () => clearInterval(t);
  }, [load, everyMs]);

  return { data, error, at, reload: load };
}
