import { parse as parseCsv } from "csv-parse/sync";
import { Temporal } from "temporal-polyfill";
import { z } from "zod";
import { listAccounts } from "../accounts/listAccounts";
import type { AppContext } from "../context";
import { AppError } from "../errors";
import { rejectUnsafeJson } from "../http/respond";
import { isTimeZone } from "../timeZone";
import { discardCheckedImages } from "../media/postImages";
import { preparePost, storePreparedPosts, type PreparedPost } from "./createPost";
import { enqueueDeliveries } from "./enqueueDeliveries";
import { postJson, type PostJson } from "./postJson";

/**
 * Bulk import (issue 17): a CSV or JSON file of posts, validated as a whole — every row goes
 * through the very checks of POST /api/posts — and stored in one transaction only when every
 * row is valid. docs/API.md describes the file format.
 */
export const IMPORT_MAX_ROWS = 500;
export const IMPORT_COLUMNS = ["text", "scheduledAt", "timeZone", "accounts"] as const;

/** One row as the file gives it. `accounts`: handles (alice.bsky.social, @alice@mastodon.social) or account ids. */
export const importRow = z.strictObject({
  text: z.string(),
  scheduledAt: z.string().trim().min(1, "scheduledAt is required"),
  timeZone: z.string().trim().refine(isTimeZone, "an IANA time zone such as Europe/Berlin").optional(),
  accounts: z.union([z.string(), z.array(z.string())]),
});
/** The JSON form: an array of rows, or `{"posts": [rows]}`. Rows are checked one by one later (for row-level errors). */
export const importFile = z.union([z.array(z.unknown()), z.strictObject({ posts: z.array(z.unknown()) })]);
/** The same with its rows spelled out: what the OpenAPI document shows. */
export const importFileDocumented = z.union([z.array(importRow), z.strictObject({ posts: z.array(importRow) })]);

export interface ImportRowError {
  /** 1-based: the first post of the file is row 1 (in a CSV, the line after the header). */
  row: number;
  /** The CSV line the row starts on. */
  line?: number;
  message: string;
}

interface RawRow {
  row: number;
  line?: number;
  value: unknown;
}

/** The rows of a file: `text/csv` (header line naming the columns) or `application/json`. */
export function readImportFile(kind: "csv" | "json", text: string): RawRow[] {
  let rows: RawRow[];
  if (kind === "json") {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new AppError("bad_request", "the file is not valid JSON");
    }
    const file = importFile.parse(value);
    rows = (Array.isArray(file) ? file : file.posts).map((v, i) => ({ row: i + 1, value: v }));
  } else {
    let records: Array<{ record: Record<string, string>; info: { lines: number } }>;
    try {
      records = parseCsv(text, { columns: headerOf, bom: true, skip_empty_lines: true, info: true, relax_column_count: false });
    } catch (err) {
      throw new AppError("bad_request", `the CSV file cannot be read: ${err instanceof Error ? err.message : String(err)}`);
    }
    rows = records.map(({ record, info }, i) => {
      const value: Record<string, string> = {};
      // An empty cell is an absent value (a CSV has no other way to leave one out).
      for (const [k, v] of Object.entries(record)) if (v.trim() !== "" || k === "text") value[k] = v;
      return { row: i + 1, line: info.lines, value };
    });
  }
  rejectUnsafeJson(rows.map((r) => r.value));
  if (rows.length === 0) throw new AppError("import_invalid", "the file holds no posts");
  if (rows.length > IMPORT_MAX_ROWS) throw new AppError("import_invalid", `at most ${IMPORT_MAX_ROWS} posts per file (this one has ${rows.length})`);
  return rows;
}

function headerOf(header: string[]): string[] {
  const names = header.map((h) => h.trim());
  const unknown = names.filter((n) => !(IMPORT_COLUMNS as readonly string[]).includes(n));
  if (unknown.length > 0 || !names.includes("text")) {
    throw new Error(`the header line must name the columns ${IMPORT_COLUMNS.join(", ")} (unknown: ${unknown.join(", ") || "none"})`);
  }
  return names;
}

const OFFSET = /(Z|[+-]\d{2}:?\d{2})$/i;
const LOCAL = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?$/;

/** A time with an offset as it is; a wall time (2027-03-01 09:30) in the row's time zone. */
function instantOf(scheduledAt: string, timeZone: string | undefined): string {
  if (OFFSET.test(scheduledAt)) return scheduledAt;
  if (!LOCAL.test(scheduledAt)) throw new AppError("validation_failed", `scheduledAt "${scheduledAt}" is not a date and time such as 2027-03-01 09:30 or 2027-03-01T09:30:00+01:00`);
  if (!timeZone) throw new AppError("validation_failed", `scheduledAt "${scheduledAt}" has no offset: give a timeZone for the row (or an offset such as +01:00)`);
  const wall = Temporal.PlainDateTime.from(scheduledAt.replace(" ", "T"));
  return wall.toZonedDateTime(timeZone, { disambiguation: "compatible" }).toInstant().toString();
}

const normalHandle = (h: string) => h.trim().replace(/^@/, "").toLowerCase();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Validates every row; stores all posts in one transaction only if none is invalid, then queues them. */
export async function importPosts(ctx: AppContext, userId: string, rows: RawRow[]): Promise<{ imported: number; posts: PostJson[] }> {
  const accounts = await listAccounts(ctx, userId);
  const byHandle = new Map(accounts.map((a) => [normalHandle(a.handle), a.id]));
  const ids = new Set(accounts.map((a) => a.id));
  const errors: ImportRowError[] = [];
  const prepared: PreparedPost[] = [];
  for (const { row, line, value } of rows) {
    try {
      const r = importRow.parse(value);
      const names = (Array.isArray(r.accounts) ? r.accounts : r.accounts.split(/[\s,;|]+/)).filter((n) => n.trim() !== "");
      if (names.length === 0) throw new AppError("validation_failed", "accounts: name at least one account (handle or id)");
      const unknown = names.filter((n) => !(UUID.test(n) ? ids.has(n.toLowerCase()) : byHandle.has(normalHandle(n))));
      if (unknown.length > 0) throw new AppError("validation_failed", `accounts: not one of your accounts: ${unknown.join(", ")}`);
      const accountIds = [...new Set(names.map((n) => (UUID.test(n) ? n.toLowerCase() : byHandle.get(normalHandle(n))!)))];
      const scheduledAt = instantOf(r.scheduledAt, r.timeZone);
      prepared.push(await preparePost(ctx, userId, { text: r.text, accountIds, scheduledAt, ...(r.timeZone ? { timeZone: r.timeZone } : {}) }));
    } catch (err) {
      errors.push({ row, ...(line ? { line } : {}), message: describe(err) });
    }
  }
  if (errors.length > 0) {
    await Promise.all(prepared.map((p) => discardCheckedImages(p.images)));
    const first = errors.slice(0, 5).map((e) => `row ${e.row}: ${e.message}`).join("; ");
    throw new AppError("import_invalid", `${errors.length} of ${rows.length} rows are invalid, nothing was imported. ${first}`, { rows: errors });
  }
  const stored = await storePreparedPosts(ctx, prepared);
  await enqueueDeliveries(
    ctx,
    stored.flatMap((s, i) => s.deliveries.map((d) => ({ deliveryId: d.id, scheduledAt: prepared[i]!.dueAt }))),
  );
  return { imported: stored.length, posts: stored.map((s) => postJson(s)) };
}

function describe(err: unknown): string {
  if (err instanceof z.ZodError) return err.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
  if (err instanceof AppError) return err.message;
  throw err;
}
