import { z } from "zod";
import { newRecordKeys } from "../api/bluesky/tid";
import type { AppContext } from "../context";
import { findOwnedAccounts, findUserPost, insertPostWithDeliveries, listUserPosts, type PostContentJson } from "../db/queries/posts";
import { AppError, notFound } from "../errors";
import { isTimeZone } from "../timeZone";
import { cancelPost } from "./cancelPost";
import { enqueueDeliveries } from "./enqueueDeliveries";
import { getPost } from "./getPost";
import { postJson, type PostJson } from "./postJson";
import { requestedTime } from "./scheduledAt";
import { isUuid, postLink } from "./schemas";

/**
 * Scheduled reposts (contract v1.3): a post row whose content names the subject, with one
 * delivery per account through the same post queue and worker as posts (one code path,
 * exactly once by the record key chosen here); the platform writes an app.bsky.feed.repost.
 */

export const createRepostBody = z.strictObject({
  accountIds: z
    .array(z.uuid("an account id"))
    .min(1, "choose at least one account")
    .max(20)
    .refine((ids) => new Set(ids).size === ids.length, "an account is listed twice"),
  subject: postLink,
  scheduledAt: z.iso.datetime({ offset: true, message: "an ISO 8601 date-time with offset, e.g. 2026-03-01T09:30:00+01:00" }).optional(),
  publishNow: z.boolean().optional(),
  timeZone: z.string().refine(isTimeZone, "an IANA time zone such as Europe/Berlin").optional(),
});
export type CreateRepostBody = z.infer<typeof createRepostBody>;

export const listRepostsQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) });

export function repostJson(post: PostJson, content: PostContentJson) {
  // A repost has no text of its own: what it shows is its subject.
  const rest: Omit<PostJson, "text"> & { text?: string } = { ...post };
  delete rest.text;
  return { ...rest, subject: content.rich?.repost?.subject ?? "" };
}
export type RepostJson = ReturnType<typeof repostJson>;

const isRepost = (content: unknown) => !!(content as PostContentJson | null)?.rich?.repost;

export async function createRepost(ctx: AppContext, userId: string, body: CreateRepostBody): Promise<RepostJson> {
  const scheduledAt = requestedTime(body) ?? new Date();
  const accounts = await findOwnedAccounts(ctx.database.db, userId, body.accountIds);
  const known = new Set(accounts.map((a) => a.id));
  const unknown = body.accountIds.filter((id) => !known.has(id));
  if (unknown.length > 0) throw new AppError("validation_failed", `unknown account${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}`, { accountIds: unknown });
  const notBluesky = accounts.filter((a) => a.platform !== "bluesky");
  if (notBluesky.length > 0) throw new AppError("unprocessable", `only Bluesky accounts can repost (${notBluesky.map((a) => `@${a.handle}`).join(", ")} cannot)`);
  const inactive = accounts.filter((a) => a.status !== "active");
  if (inactive.length > 0) {
    throw new AppError("unprocessable", `${inactive.map((a) => `@${a.handle}`).join(", ")} needs reconnecting on the Accounts page before reposting`);
  }
  const content: PostContentJson = { rich: { repost: { subject: body.subject.trim() } } };
  const dueAt = new Date(Math.max(scheduledAt.getTime(), Date.now()));
  const stored = await insertPostWithDeliveries(ctx.database.db, {
    userId,
    text: "",
    content,
    scheduledAt,
    timeZone: body.timeZone ?? "UTC",
    dueAt,
    recordCreatedAt: dueAt,
    deliveries: body.accountIds.map((accountId) => ({ accountId, rkeys: newRecordKeys(1) })),
  });
  await enqueueDeliveries(ctx, stored.deliveries.map((d) => ({ deliveryId: d.id, scheduledAt: dueAt })));
  return repostJson(postJson(stored), content);
}

/** Someone else's repost, a post, or no such id: "not found" either way. */
async function ownedRepost(ctx: AppContext, userId: string, id: string): Promise<PostContentJson> {
  if (!isUuid(id)) throw notFound("repost");
  const found = await findUserPost(ctx.database.db, userId, id);
  if (!found || !isRepost(found.post.content)) throw notFound("repost");
  return found.post.content as PostContentJson;
}

export async function getRepost(ctx: AppContext, userId: string, id: string): Promise<RepostJson> {
  const content = await ownedRepost(ctx, userId, id);
  return repostJson(await getPost(ctx, userId, id), content);
}

export async function cancelRepost(ctx: AppContext, userId: string, id: string): Promise<RepostJson> {
  const content = await ownedRepost(ctx, userId, id);
  return repostJson(await cancelPost(ctx, userId, id), content);
}

export async function listReposts(ctx: AppContext, userId: string, limit: number): Promise<{ reposts: RepostJson[] }> {
  const page = await listUserPosts(ctx.database.db, userId, { limit, kind: "repost" });
  return { reposts: page.map((p) => repostJson(postJson(p), p.post.content as PostContentJson)) };
}
