import { asc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { AppContext } from "../context";
import { deliveries, posts, socialAccounts } from "../db/schema";

/**
 * A user's own posts as a download (JSON or CSV): text, times, time zone, accounts, status and
 * links to what was published. Image bytes stay out (they can be megabytes each).
 */

/** The query of GET /api/posts/export. */
export const exportPostsQuery = z.object({ format: z.enum(["json", "csv"]).default("json") });

export interface ExportedPost {
  id: string;
  text: string;
  /** Further thread segments, in order. */
  thread: string[];
  scheduledAt: string;
  /** The scheduled time on the wall clock of the post's time zone: "2026-12-01 09:30". */
  localTime: string;
  timeZone: string;
  status: string;
  createdAt: string;
  accounts: Array<{ platform: string; handle: string; status: string; publishedAt: string | null; link: string | null }>;
}

/** at://did/app.bsky.feed.post/rkey → the post's page on bsky.app. */
export function postLink(remoteUri: string | null): string | null {
  const m = remoteUri?.match(/^at:\/\/([^/]+)\/app\.bsky\.feed\.post\/([^/]+)$/);
  return m ? `https://bsky.app/profile/${m[1]}/post/${m[2]}` : null;
}

export function localTime(at: Date, timeZone: string): string {
  // sv-SE writes ISO-like "YYYY-MM-DD HH:MM" in any time zone.
  return new Intl.DateTimeFormat("sv-SE", { timeZone, dateStyle: "short", timeStyle: "short" }).format(at);
}

export async function exportPosts(ctx: AppContext, userId: string): Promise<ExportedPost[]> {
  const db = ctx.database.db;
  const rows = await db
    .select({
      id: posts.id,
      text: posts.text,
      thread: sql<string[]>`coalesce((SELECT jsonb_agg(s->>'text') FROM jsonb_array_elements(${posts.content}->'thread') s), '[]'::jsonb)`,
      scheduledAt: posts.scheduledAt,
      timeZone: posts.timeZone,
      status: posts.status,
      createdAt: posts.createdAt,
    })
    .from(posts)
    .where(eq(posts.userId, userId))
    .orderBy(asc(posts.scheduledAt), asc(posts.id));
  const targets = await db
    .select({
      postId: deliveries.postId,
      platform: socialAccounts.platform,
      handle: socialAccounts.handle,
      status: deliveries.status,
      publishedAt: deliveries.publishedAt,
      remoteUri: deliveries.remoteUri,
      segmentRecords: deliveries.segmentRecords,
    })
    .from(deliveries)
    .innerJoin(posts, eq(posts.id, deliveries.postId))
    .innerJoin(socialAccounts, eq(socialAccounts.id, deliveries.accountId))
    .where(eq(posts.userId, userId))
    .orderBy(asc(socialAccounts.handle));
  const byPost = new Map<string, ExportedPost["accounts"]>();
  for (const t of targets) {
    const list = byPost.get(t.postId) ?? [];
    list.push({ platform: t.platform, handle: t.handle, status: t.status, publishedAt: t.publishedAt?.toISOString() ?? null, link: t.segmentRecords[0]?.url ?? postLink(t.remoteUri) });
    byPost.set(t.postId, list);
  }
  return rows.map((r) => ({
    id: r.id,
    text: r.text,
    thread: r.thread,
    scheduledAt: r.scheduledAt.toISOString(),
    localTime: localTime(r.scheduledAt, r.timeZone),
    timeZone: r.timeZone,
    status: r.status,
    createdAt: r.createdAt.toISOString(),
    accounts: byPost.get(r.id) ?? [],
  }));
}

const CSV_COLUMNS = ["id", "scheduled_at_utc", "local_time", "time_zone", "status", "text", "thread", "accounts", "links", "created_at"];

/**
 * RFC 4180 fields. A cell a spreadsheet would run as a formula (= + - @ at its start) gets a
 * leading apostrophe, as OWASP advises for CSV downloads; the JSON export keeps text exact.
 */
function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function postsCsv(list: ExportedPost[]): string {
  const lines = [CSV_COLUMNS.join(",")];
  for (const p of list) {
    const fields = [
      p.id,
      p.scheduledAt,
      p.localTime,
      p.timeZone,
      p.status,
      p.text,
      p.thread.join("\n\n"),
      p.accounts.map((a) => `${a.handle} (${a.status})`).join("; "),
      p.accounts.flatMap((a) => (a.link ? [a.link] : [])).join(" "),
      p.createdAt,
    ];
    lines.push(fields.map(csvField).join(","));
  }
  return `${lines.join("\r\n")}\r\n`;
}
