"use client";

import { useCallback, useEffect, useState, type FormEvent } from "react";
import { problemList, type ApiResult } from "./api";

/**
 * What the settings lists with a create form share (webhooks, API tokens): the list, loaded on
 * mount and reloaded after each change; the problems of the last action; the secret a creation
 * shows once. `fetchList` must be stable (a module-level function): it is the load's dependency.
 */
export function useCreatedList<T>(fetchList: () => Promise<T[] | undefined>) {
  const [items, setItems] = useState<T[]>([]);
  const [problems, setProblems] = useState<string[]>([]);
  const [fresh, setFresh] = useState<string>();

  const load = useCallback(async () => {
    const list = await fetchList();
    if (list) setItems(list);
  }, [fetchList]);
  useEffect(() => {
    void load();
  }, [load]);

  /** The create form's submit: `send` builds the request from the form; on success the form is cleared and the secret shown. */
  function create<R>(send: (data: FormData) => Promise<ApiResult<R>>, secretOf: (created: R) => string) {
    return async (e: FormEvent<HTMLFormElement>) => {
      e.preventDefault();
      const form = e.currentTarget;
      const res = await send(new FormData(form));
      if (!res.ok) return setProblems(problemList(res.error));
      setProblems([]);
      form.reset();
      setFresh(secretOf(res.data));
      await load();
    };
  }

  return { items, problems, setProblems, fresh, load, create };
}
