import type { AppContext } from "../context";
import { listUserPosts } from "../db/queries/posts";
import { AppError } from "../errors";
import { postJson, type PostJson } from "./postJson";
import { isUuid, type ListPostsQuery } from "./schemas";

/** The cursor is the last post's (scheduledAt, id), opaque to clients. */
export function encodeCursor(scheduledAt: Date, id: string): string {
  return Buffer.from(JSON.stringify([scheduledAt.toISOString(), id])).toString("base64url");
}

function decodeCursor(cursor: string): { scheduledAt: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as [unknown, unknown];
    const scheduledAt = new Date(String(at));
    if (typeof id !== "string" || !isUuid(id) || Number.isNaN(scheduledAt.getTime())) throw new Error("bad cursor");
    return { scheduledAt, id };
  } catch {
    throw new AppError("bad_request", "cursor is not one this API handed out");
  }
}

/** The user's posts (optionally those scheduled in [from, to)), newest scheduled first, a page at a time. */
export async function listPosts(ctx: AppContext, userId: string, q: ListPostsQuery): Promise<{ posts: PostJson[]; nextCursor: string | null }> {
  const page = await listUserPosts(ctx.database.db, userId, {
    limit: q.limit,
    after: q.cursor ? decodeCursor(q.cursor) : undefined,
    status: q.status,
    accountId: q.accountId,
    from: q.from ? new Date(q.from) : undefined,
    to: q.to ? new Date(q.to) : undefined,
    kind: "post",
  });
  const last = page[page.length - 1];
  return {
    posts: page.map((p) => postJson(p)),
    nextCursor: last && page.length === q.limit ? encodeCursor(last.post.scheduledAt, last.post.id) : null,
  };
}
