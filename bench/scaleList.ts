import type { AppContext } from "@/app/lib/context";
import { listPosts } from "@/app/lib/posts/listPosts";
import { listPostsQuery } from "@/app/lib/posts/schemas";
import { percentiles } from "./harness";

/**
 * GET /api/posts at scale: the `listPosts` service (what the route handler calls) timed over
 * many calls, and EXPLAIN ANALYZE of the exact statements it sends (captured from the pool,
 * so the plan shown is the plan of the code as it is, not of a hand-written copy).
 */

export interface ListTiming {
  p50: number;
  p99: number;
  max: number;
  rows: number;
}

/** Median/p99 (ms, one decimal) of `calls` sequential calls after a short warm-up. */
export async function timeListPosts(ctx: AppContext, userId: string, query: Record<string, string>, calls: number): Promise<ListTiming> {
  const q = listPostsQuery.parse(query);
  let rows = 0;
  for (let i = 0; i < 5; i++) rows = (await listPosts(ctx, userId, q)).posts.length;
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await listPosts(ctx, userId, q);
    times.push((performance.now() - t0) * 10);
  }
  const p = percentiles(times);
  return { p50: p.p50 / 10, p99: p.p99 / 10, max: p.max / 10, rows };
}

/** The floor under the same load: a bare `SELECT 1` round trip on the same pool. */
export async function timeSelectOne(ctx: AppContext, calls: number): Promise<ListTiming> {
  const times: number[] = [];
  for (let i = 0; i < calls + 5; i++) {
    const t0 = performance.now();
    await ctx.database.pool.query("SELECT 1");
    if (i >= 5) times.push((performance.now() - t0) * 10);
  }
  const p = percentiles(times);
  return { p50: p.p50 / 10, p99: p.p99 / 10, max: p.max / 10, rows: 1 };
}

/** The cursor of page `pages` (following nextCursor), to time a page deep in the list. */
export async function cursorAfter(ctx: AppContext, userId: string, pages: number): Promise<string> {
  let cursor: string | undefined;
  for (let i = 0; i < pages; i++) {
    const page = await listPosts(ctx, userId, listPostsQuery.parse(cursor ? { cursor } : {}));
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  return cursor ?? "";
}

interface Captured {
  text: string;
  values: unknown[];
}

/** Runs `fn` with the pool's query() recorded, then EXPLAIN ANALYZEs each statement it sent. */
export async function explainCalls(ctx: AppContext, fn: () => Promise<unknown>): Promise<string[]> {
  const pool = ctx.database.pool as unknown as { query: (...args: unknown[]) => unknown };
  const original = pool.query.bind(pool);
  const captured: Captured[] = [];
  pool.query = (...args: unknown[]) => {
    const [first, second] = args;
    if (typeof first === "string") captured.push({ text: first, values: (second as unknown[]) ?? [] });
    else if (first && typeof first === "object" && "text" in first) {
      const c = first as { text: string; values?: unknown[] };
      captured.push({ text: c.text, values: c.values ?? (second as unknown[]) ?? [] });
    }
    return original(...args);
  };
  try {
    await fn();
  } finally {
    pool.query = original;
  }
  const plans: string[] = [];
  for (const c of captured) {
    const { rows } = await ctx.database.pool.query<{ "QUERY PLAN": string }>(`EXPLAIN (ANALYZE, BUFFERS) ${c.text}`, c.values);
    plans.push([c.text.replace(/\s+/g, " "), ...rows.map((r) => r["QUERY PLAN"])].join("\n"));
  }
  return plans;
}
