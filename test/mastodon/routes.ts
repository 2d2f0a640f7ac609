import { accountJson, credentialAccountJson, instanceJson, mediaJson, statusJson, type StatusRecord } from "./entities";
import type { HandlerContext, MastodonDouble } from "./mastodonDouble";
import { oauthRoutes } from "./oauthRoutes";
import { route, type Route } from "./route";

/** Mastodon keeps an Idempotency-Key for one hour. */
export const IDEMPOTENCY_TTL_MS = 60 * 60 * 1000;

const VISIBILITIES = new Set(["public", "unlisted", "private", "direct"]);
const MIME_TYPES = new Set(["image/jpeg", "image/png", "image/gif", "image/webp"]);

/** The user behind a valid token with one of `scopes`, or an answered 401/403. */
function authorize(ctx: HandlerContext, scopes: string[]) {
  const record = ctx.token ? ctx.double.tokens.get(ctx.token) : undefined;
  if (!record) return void ctx.reply.error(401, "The access token is invalid");
  if (record.revoked) return void ctx.reply.error(401, "The access token was revoked");
  const granted = record.scopes.some((s) => scopes.includes(s) || scopes.some((wanted) => wanted.startsWith(`${s}:`)));
  if (!granted) return void ctx.reply.error(403, "This action is outside the authorized scopes");
  return ctx.double.users.get(record.userId);
}

/** Mastodon's count: graphemes, every URL as 23, remote mentions without their domain. */
export function countLength(text: string): number {
  const countable = text
    .replace(/https?:\/\/[^\s<>"]+/g, "x".repeat(23))
    .replace(/(^|[^\w@])@(\w+)@[\w.-]+\w/g, "$1@$2");
  return [...new Intl.Segmenter().segment(countable)].length;
}

function str(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function renderStatus(double: MastodonDouble, status: StatusRecord) {
  const user = double.users.get(status.accountId)!;
  const media = status.mediaIds.map((id) => double.media.get(id)!);
  return statusJson(double.url, status, accountJson(double.url, user), media);
}

function postStatus(ctx: HandlerContext): void {
  const { double, body, reply } = ctx;
  const user = authorize(ctx, ["write", "write:statuses"]);
  if (!user) return;
  const key = ctx.req.headers["idempotency-key"];
  const idemKey = typeof key === "string" ? `${user.id}:${key}` : null;
  const earlier = idemKey ? double.idempotency.get(idemKey) : undefined;
  if (earlier && double.now() - earlier.at < IDEMPOTENCY_TTL_MS) {
    const existing = double.statuses.find((s) => s.id === earlier.statusId)!;
    return reply.json(200, renderStatus(double, existing));
  }
  const text = str(body.status) ?? "";
  const spoilerText = str(body.spoiler_text) ?? "";
  const visibility = str(body.visibility) ?? "public";
  const language = str(body.language);
  const mediaIds = (Array.isArray(body.media_ids) ? body.media_ids : []).map(String);
  const inReplyToId = str(body.in_reply_to_id);
  if (text.trim() === "" && mediaIds.length === 0) return reply.error(422, "Validation failed: Text can't be blank");
  if (countLength(spoilerText + text) > double.limits.maxCharacters) {
    return reply.error(422, `Validation failed: Text character limit of ${double.limits.maxCharacters} exceeded`);
  }
  if (!VISIBILITIES.has(visibility)) return reply.error(422, "Validation failed: Visibility is not included in the list");
  if (language !== null && !/^[a-z]{2,3}$/.test(language)) return reply.error(422, "Validation failed: Language is not a valid language code");
  if (mediaIds.length > double.limits.maxMedia) return reply.error(422, `Validation failed: Media attachments can't be more than ${double.limits.maxMedia}`);
  for (const id of mediaIds) {
    const media = double.media.get(id);
    if (!media || media.ownerId !== user.id || media.statusId !== null) return reply.error(422, "Validation failed: Media attachments are invalid");
    if (media.pollsLeft > 0) return reply.error(422, "Cannot attach files that have not finished processing. Try again in a moment!");
  }
  const parent = inReplyToId === null ? undefined : double.statuses.find((s) => s.id === inReplyToId);
  if (inReplyToId !== null && !parent) return reply.error(404, "Record not found");
  const status: StatusRecord = {
    id: double.newId(),
    accountId: user.id,
    text,
    spoilerText,
    visibility: visibility as StatusRecord["visibility"],
    language,
    inReplyToId,
    inReplyToAccountId: parent?.accountId ?? null,
    mediaIds,
    createdAt: new Date(double.now()),
    applicationName: null,
    idempotencyKey: typeof key === "string" ? key : null,
  };
  for (const id of mediaIds) double.media.get(id)!.statusId = status.id;
  double.statuses.push(status);
  user.statusesCount += 1;
  if (idemKey) double.idempotency.set(idemKey, { statusId: status.id, at: double.now() });
  reply.json(200, renderStatus(double, status));
}

function postMedia(ctx: HandlerContext): void {
  const { double, body, reply } = ctx;
  const user = authorize(ctx, ["write", "write:media"]);
  if (!user) return;
  const file = body.file;
  if (!(file instanceof Blob) || file.size === 0) return reply.error(422, "Validation failed: File can't be blank");
  if (!MIME_TYPES.has(file.type)) return reply.error(422, "Validation failed: File content type is invalid");
  const description = str(body.description);
  if (description !== null && [...description].length > double.limits.descriptionLimit) {
    return reply.error(422, `Validation failed: Description is too long (maximum is ${double.limits.descriptionLimit} characters)`);
  }
  const media = {
    id: double.newId(),
    ownerId: user.id,
    description,
    mimeType: file.type,
    bytes: file.size,
    pollsLeft: double.limits.mediaProcessingPolls,
    statusId: null,
  };
  double.media.set(media.id, media);
  const ready = media.pollsLeft === 0;
  reply.json(ready ? 200 : 202, mediaJson(double.url, media, ready));
}

function getMedia(ctx: HandlerContext): void {
  const user = authorize(ctx, ["write", "write:media", "read"]);
  if (!user) return;
  const media = ctx.double.media.get(ctx.params.id ?? "");
  if (!media || media.ownerId !== user.id) return ctx.reply.error(404, "Record not found");
  if (media.pollsLeft > 0) {
    media.pollsLeft -= 1;
    return ctx.reply.json(206, mediaJson(ctx.double.url, media, false));
  }
  ctx.reply.json(200, mediaJson(ctx.double.url, media, true));
}

function accountStatuses(ctx: HandlerContext): void {
  const { double, url, reply } = ctx;
  const owner = double.users.get(ctx.params.id ?? "");
  if (!owner) return reply.error(404, "Record not found");
  const viewer = ctx.token ? double.tokens.get(ctx.token) : undefined;
  if (ctx.token && (!viewer || viewer.revoked)) return reply.error(401, "The access token is invalid");
  const limit = Math.min(40, Number(url.searchParams.get("limit") ?? 20) || 20);
  const maxId = url.searchParams.get("max_id");
  const visible = double
    .statusesOf(owner.id)
    .filter((s) => viewer?.userId === owner.id || s.visibility === "public" || s.visibility === "unlisted")
    .filter((s) => maxId === null || BigInt(s.id) < BigInt(maxId))
    .reverse()
    .slice(0, limit);
  reply.json(200, visible.map((s) => renderStatus(double, s)));
}

function getStatus(ctx: HandlerContext): void {
  const status = ctx.double.statuses.find((s) => s.id === ctx.params.id);
  if (!status || status.visibility === "direct" || status.visibility === "private") return ctx.reply.error(404, "Record not found");
  ctx.reply.json(200, renderStatus(ctx.double, status));
}

export const ROUTES: Route[] = [
  ...oauthRoutes(),
  route("GET", "/api/v1/accounts/verify_credentials", (ctx) => {
    const user = authorize(ctx, ["read", "read:accounts", "profile"]);
    if (user) ctx.reply.json(200, credentialAccountJson(ctx.double.url, user));
  }),
  route("GET", "/api/v2/instance", (ctx) => ctx.reply.json(200, instanceJson(ctx.double.url, ctx.double.host, ctx.double.limits))),
  route("POST", "/api/v2/media", postMedia),
  route("GET", "/api/v1/media/{id}", getMedia, { 206: "MediaAttachment" }),
  route("POST", "/api/v1/statuses", postStatus),
  route("GET", "/api/v1/accounts/{id}/statuses", accountStatuses),
  route("GET", "/api/v1/statuses/{id}", getStatus),
];
