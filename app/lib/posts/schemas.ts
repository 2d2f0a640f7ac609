import { z } from "zod";
import { isTimeZone } from "../timeZone";
import { postStatuses } from "../db/schema";
import { parsePostRef } from "../api/bluesky/postLink";
import { REPLY_ALLOW, SELF_LABELS } from "../api/rich";

/** Request shapes for the posts API. Content rules a platform owns (graphemes, bytes, image sizes) come from its validate(). */


const alt = z.string().trim().min(1, "every image needs alt text (describe it for people who cannot see it)").max(2000);

/** An uploaded image (POST /api/media) by id. Extra fields (a GET's mimeType, url) are ignored, so a read post can be sent back. */
const mediaImage = z.object({ mediaId: z.uuid("a media id from POST /api/media"), alt });

/** The older form, bytes inline: still accepted, and stored as media like an upload. */
const base64Image = z.object({
  data: z.string().min(1, "image data (base64) is required").regex(/^[A-Za-z0-9+/]+={0,2}$/, "image data must be base64"),
  mimeType: z.string().regex(/^image\/[a-z0-9.+-]+$/i, "an image MIME type such as image/png"),
  alt,
});

const image = z.union([mediaImage, base64Image]);

const images = z.array(image).max(4, "at most 4 images per post");

// branch video: one video per segment (uploaded with POST /api/media), its alt text and WebVTT captions by language.
// Extra fields (a GET's mimeType, url) are ignored, as for images.
const video = z.object({
  mediaId: z.uuid("a media id of an mp4 from POST /api/media"),
  alt: z.string().trim().min(1, "a video needs alt text (describe it for people who cannot see it)").max(10_000),
  captions: z
    .array(z.object({ lang: z.string().regex(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$/, "a language tag such as en or pt-BR"), mediaId: z.uuid("a media id of a WebVTT file from POST /api/media") }))
    .max(20, "at most 20 caption files")
    .refine((c) => new Set(c.map((x) => x.lang.toLowerCase())).size === c.length, "one caption file per language")
    .optional(),
});

// ISO 8601 with an explicit offset (or Z): a time without one is ambiguous, so it is refused.
const instant = z.iso.datetime({ offset: true, message: "an ISO 8601 date-time with offset, e.g. 2026-03-01T09:30:00+01:00" });

// Rich post options (contract v1.3), accepted on the post and on each thread segment.
export const postLink = z
  .string()
  .max(1000)
  .refine((s) => parsePostRef(s) !== undefined, "an at:// URI or https://bsky.app/profile/…/post/… URL of a post");
const richSegmentFields = {
  linkCard: z.boolean().optional(),
  quote: postLink.optional(),
  labels: z
    .array(z.enum(SELF_LABELS))
    .max(SELF_LABELS.length)
    .refine((l) => new Set(l).size === l.length, "a label is listed twice")
    .optional(),
  disableQuotes: z.boolean().optional(),
};
const replyControl = z.union([
  z.enum(["everyone", "nobody"]),
  z.strictObject({ allow: z.array(z.enum(REPLY_ALLOW)).min(1, "allow at least one group, or use \"nobody\"").max(REPLY_ALLOW.length) }),
]);

export const createPostBody = z.strictObject({
  text: z.string(),
  accountIds: z
    .array(z.uuid("an account id"))
    .min(1, "choose at least one account")
    .max(20)
    .refine((ids) => new Set(ids).size === ids.length, "an account is listed twice"),
  scheduledAt: instant.optional(),
  publishNow: z.boolean().optional(),
  timeZone: z.string().refine(isTimeZone, "an IANA time zone such as Europe/Berlin").optional(),
  langs: z.array(z.string().regex(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$/, "a language tag such as en or pt-BR")).max(3).optional(),
  images: images.optional(),
  video: video.optional(),
  thread: z.array(z.strictObject({ text: z.string(), images: images.optional(), video: video.optional(), ...richSegmentFields })).max(24, "at most 25 posts in a thread").optional(),
  ...richSegmentFields,
  replyControl: replyControl.optional(),
});
export type CreatePostBody = z.infer<typeof createPostBody>;

export const updatePostBody = z
  .strictObject({
    text: z.string().optional(),
    scheduledAt: instant.optional(),
    publishNow: z.literal(true).optional(),
    timeZone: z.string().refine(isTimeZone, "an IANA time zone such as Europe/Berlin").optional(),
    /** The first post's images, replaced whole ([] removes them). */
    images: images.optional(),
  })
  .refine(
    (b) => b.text !== undefined || b.scheduledAt !== undefined || b.publishNow !== undefined || b.timeZone !== undefined || b.images !== undefined,
    "nothing to change: send text, scheduledAt, publishNow, timeZone or images",
  );
export type UpdatePostBody = z.infer<typeof updatePostBody>;

export const listPostsQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().max(200).optional(),
    status: z.enum(postStatuses).optional(),
    accountId: z.uuid("an account id").optional(),
    /** scheduledAt in [from, to). */
    from: instant.optional(),
    to: instant.optional(),
  })
  .refine((q) => !q.from || !q.to || new Date(q.from) < new Date(q.to), { message: "from must be before to", path: ["to"] });
export type ListPostsQuery = z.infer<typeof listPostsQuery>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Route ids that are not uuids cannot name a post: answer 404 without asking the database. */
export const isUuid = (id: string) => UUID.test(id);
