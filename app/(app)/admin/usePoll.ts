"use client";

import { useCallback, useEffect, useState } from "react";
import { api } from "../../components/api";

/** GETs `path` now and every `everyMs` while the tab is visible; `at` is when it last answered. */
export function usePoll<T>(path: string, everyMs: number) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [at, setAt] = useState<number | null>(null);

  const load = useCallback(async () => {
    const res = await api<T>(path);
    if (res.ok) {
      setData(res.data);
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
