import { z } from "zod";
import { accountStatuses, deliveryStatuses, platformNames, postStatuses, webhookEventTypes } from "../db/schema";
import { REPLY_ALLOW, SELF_LABELS } from "../api/rich";

/**
 * Response shapes of the API as zod schemas, for the OpenAPI document only (handlers build
 * their JSON in postJson/toPublicAccount/...). Objects are strict, so the test that checks
 * real responses against these fails when a handler adds, drops or renames a field.
 */

const isoTime = z.iso.datetime({ offset: true });
const nullableTime = isoTime.nullable();

export const errorResponse = z.strictObject({
  error: z.strictObject({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

export const userJson = z.strictObject({ id: z.uuid(), email: z.string(), role: z.enum(["admin", "user"]) });

export const accountJson = z.strictObject({
  id: z.uuid(),
  platform: z.enum(platformNames),
  handle: z.string(),
  did: z.string(),
  service: z.string(),
  status: z.enum(accountStatuses),
  lastRefreshedAt: nullableTime,
  lastError: z.string().nullable(),
  lastErrorAt: nullableTime,
  createdAt: isoTime,
});

// mediaId and url are absent only on posts stored before media by reference and not yet migrated.
const imageMeta = z.strictObject({ mediaId: z.uuid().optional(), alt: z.string(), mimeType: z.string(), url: z.string().optional() });
// branch video: a segment's video and its caption files (contract: issue 16 item 7).
const videoMeta = z.strictObject({
  mediaId: z.uuid(),
  alt: z.string(),
  mimeType: z.string(),
  url: z.string(),
  captions: z.array(z.strictObject({ lang: z.string(), mediaId: z.uuid(), url: z.string() })),
});

const attempt = z.strictObject({
  attempt: z.number().int(),
  outcome: z.enum(["published", "already_published", "retry", "rate_limited", "failed"]),
  error: z.string().nullable(),
  startedAt: isoTime,
  finishedAt: isoTime,
});

const delivery = z.strictObject({
  id: z.uuid(),
  accountId: z.uuid(),
  /** On answers about one post (GET /api/posts/{id}), also for a since disconnected account. */
  accountHandle: z.string().optional(),
  status: z.enum(deliveryStatuses),
  remoteUri: z.string().nullable(),
  /** Each thread segment (one for a single post); after a failure, the first not published one failed. */
  segments: z.array(
    z.strictObject({
      index: z.number().int(),
      status: z.enum(["pending", "published", "failed"]),
      uri: z.string().nullable(),
      /** The web page that shows the segment (a Mastodon status; for Bluesky see bluesky/viewUrl.ts); null when unknown. */
      url: z.string().nullable(),
    }),
  ),
  /** While the delivery waits for a platform's rate limit: until when. */
  waitingUntil: nullableTime,
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  publishedAt: nullableTime,
  /** Only on GET /api/posts/{id} and answers about one post. */
  history: z.array(attempt).optional(),
});

// bskyrich: the rich options a post (and each thread segment) was scheduled with (contract v1.3).
const richSegment = {
  linkCard: z.boolean().optional(),
  quote: z.string().optional(),
  labels: z.array(z.enum(SELF_LABELS)).optional(),
  disableQuotes: z.boolean().optional(),
};
const replyControl = z.union([z.enum(["everyone", "nobody"]), z.strictObject({ allow: z.array(z.enum(REPLY_ALLOW)) })]);

export const postJson = z.strictObject({
  id: z.uuid(),
  text: z.string(),
  scheduledAt: isoTime,
  timeZone: z.string(),
  status: z.enum(postStatuses),
  langs: z.array(z.string()).optional(),
  images: z.array(imageMeta).optional(),
  video: videoMeta.optional(),
  ...richSegment,
  replyControl: replyControl.optional(),
  thread: z.array(z.strictObject({ text: z.string(), images: z.array(imageMeta).optional(), video: videoMeta.optional(), ...richSegment })).optional(),
  createdAt: isoTime,
  updatedAt: isoTime,
  deliveries: z.array(delivery),
});

export const onePost = z.strictObject({ post: postJson });
// bskyrich: scheduled reposts.
export const repostJson = postJson.omit({ text: true }).extend({ subject: z.string() });
export const oneRepost = z.strictObject({ repost: repostJson });
export const repostList = z.strictObject({ reposts: z.array(repostJson) });
export const oneAccount = z.strictObject({ account: accountJson });
/** POST /api/accounts: also how many deliveries that failed for want of a reconnect are publishing again. */
export const connectedAccount = z.strictObject({ account: accountJson, retriedDeliveries: z.number().int() });
export const accountList = z.strictObject({ accounts: z.array(accountJson) });
export const postPage = z.strictObject({ posts: z.array(postJson), nextCursor: z.string().nullable() });

export const health = z.strictObject({
  status: z.enum(["ok", "degraded"]),
  db: z.enum(["ok", "down"]),
  queue: z.enum(["ok", "down"]),
  queueBackend: z.enum(["redis", "postgres"]),
});

const queueCounts = z.strictObject({
  waiting: z.number().int(),
  delayed: z.number().int(),
  active: z.number().int(),
  completed: z.number().int(),
  failed: z.number().int(),
});

export const queueOverview = z.strictObject({
  queues: z.record(z.string(), queueCounts),
  schedulers: z.array(
    z.strictObject({
      id: z.string(),
      queue: z.string(),
      pattern: z.string().nullable(),
      every: z.number().nullable(),
      tz: z.string().nullable(),
      limit: z.number().nullable(),
      iterations: z.number().int(),
      next: nullableTime,
    }),
  ),
});

export const failedJobs = z.strictObject({
  failed: z.array(
    z.strictObject({
      queue: z.string(),
      id: z.string(),
      name: z.string(),
      attemptsMade: z.number().int(),
      failedReason: z.string().nullable(),
      createdAt: nullableTime,
      finishedAt: nullableTime,
      deliveryId: z.string().nullable(),
      accountId: z.string().nullable(),
    }),
  ),
});

export const adminAccounts = z.strictObject({ accounts: z.array(accountJson.extend({ ownerEmail: z.string() })) });
export const workers = z.strictObject({ queues: z.record(z.string(), z.number().int()), alive: z.boolean() });
export const activity = z.strictObject({
  hours: z.array(
    z.strictObject({ hour: isoTime, published: z.number().int(), retried: z.number().int(), failed: z.number().int() }),
  ),
});

export const backups = z.strictObject({
  backups: z.array(z.strictObject({ name: z.string(), createdAt: isoTime, bytes: z.number().int(), scheduled: z.boolean() })),
  schedule: z.strictObject({
    enabled: z.boolean(),
    embedded: z.boolean(),
    intervalHours: z.number(),
    keep: z.number().int(),
    dir: z.string(),
  }),
});

export const postsExport = z.strictObject({
  exportedAt: isoTime,
  posts: z.array(
    z.strictObject({
      id: z.uuid(),
      text: z.string(),
      thread: z.array(z.string()),
      scheduledAt: isoTime,
      localTime: z.string(),
      timeZone: z.string(),
      status: z.enum(postStatuses),
      createdAt: isoTime,
      accounts: z.array(
        z.strictObject({
          platform: z.string(),
          handle: z.string(),
          status: z.enum(deliveryStatuses),
          publishedAt: nullableTime,
          link: z.string().nullable(),
        }),
      ),
    }),
  ),
});

const apiToken = z.strictObject({ id: z.uuid(), name: z.string(), scope: z.enum(["read", "write"]), createdAt: isoTime, expiresAt: nullableTime, lastUsedAt: nullableTime });
export const tokenList = z.strictObject({ tokens: z.array(apiToken) });
/** The token itself is shown this once. */
export const createdToken = z.strictObject({ token: apiToken.extend({ token: z.string() }) });
export const passwordChanged = z.strictObject({ passwordChanged: z.literal(true), endedSessions: z.number().int() });
export const endedSessions = z.strictObject({ endedSessions: z.number().int() });

export const meResponse = z.strictObject({ user: userJson });
export const signedOut = z.strictObject({ signedOut: z.literal(true) });
export const jobQueued = z.strictObject({ jobId: z.string() });
export const jobRetried = z.strictObject({ retried: z.string() });

// Branch idem (issue 17): bulk import.
export const importedPosts = z.strictObject({ imported: z.number().int(), posts: z.array(onePost.shape.post) });
// ---- branch webhooks ----
const webhookJson = z.strictObject({
  id: z.uuid(),
  url: z.string(),
  events: z.array(z.enum(webhookEventTypes)),
  /** paused: persistent failure stopped deliveries until POST /api/webhooks/{id}/resume. */
  status: z.enum(["active", "paused"]),
  pausedAt: nullableTime,
  pausedReason: z.string().nullable(),
  /** Events in a row that failed every attempt (reset by any 2xx). */
  consecutiveFailures: z.number().int(),
  createdAt: isoTime,
});
export const webhookList = z.strictObject({ webhooks: z.array(webhookJson) });
export const oneWebhook = z.strictObject({ webhook: webhookJson });
/** The signing secret is in this answer only. */
export const createdWebhook = z.strictObject({ webhook: webhookJson.extend({ secret: z.string() }) });
export const testEventQueued = z.strictObject({
  delivery: z.strictObject({ id: z.uuid(), eventId: z.uuid(), status: z.literal("pending") }),
});
export const webhookDeliveryLog = z.strictObject({
  deliveries: z.array(
    z.strictObject({
      /** The PostMore-Delivery header: the same on every try. */
      id: z.uuid(),
      eventId: z.uuid(),
      type: z.string(),
      /** held: waiting for the endpoint to be resumed. */
      status: z.enum(["pending", "delivered", "failed", "held"]),
      attempts: z.number().int(),
      lastStatusCode: z.number().int().nullable(),
      lastError: z.string().nullable(),
      createdAt: isoTime,
      deliveredAt: nullableTime,
      log: z.array(
        z.strictObject({ attempt: z.number().int(), statusCode: z.number().int().nullable(), error: z.string().nullable(), durationMs: z.number().int(), at: isoTime }),
      ),
    }),
  ),
});
// ---- branch media ----
export const oneMedia = z.strictObject({
  media: z.strictObject({
    id: z.uuid(),
    mimeType: z.enum(["image/png", "image/jpeg", "image/webp", "image/gif", "video/mp4", "text/vtt"]),
    /** Pixels; for an mp4 from its header (0 when it does not say); 0 for a caption file. */
    width: z.number().int(),
    height: z.number().int(),
    /** Bytes as stored (images: after metadata was stripped; videos and captions as uploaded). */
    size: z.number().int(),
    url: z.string(),
    /** Images only; null for a video or caption file. */
    thumbnailUrl: z.string().nullable(),
    createdAt: isoTime,
  }),
});
// branch oauth: Bluesky OAuth
export const blueskyAuthorizeUrl = z.strictObject({ authorizeUrl: z.url() });
export const blueskyClientMetadata = z.looseObject({ client_id: z.url(), redirect_uris: z.array(z.url()), scope: z.string() });
export const blueskyJwks = z.strictObject({ keys: z.array(z.looseObject({ kty: z.string(), kid: z.string() })) });
// branch mastodon
export const mastodonAuthorize = z.strictObject({ authorizeUrl: z.string() });
const platformDescriptor = z.strictObject({
  name: z.enum(platformNames),
  label: z.string(),
  text: z.strictObject({ maxLength: z.number().int(), counting: z.enum(["graphemes", "graphemes-with-urls"]), urlLength: z.number().int().optional() }),
  media: z.strictObject({ maxCount: z.number().int(), maxBytes: z.number().int(), types: z.array(z.string()), maxAltLength: z.number().int() }),
  // branch video: absent when the platform takes no video.
  video: z
    .strictObject({
      maxBytes: z.number().int(),
      types: z.array(z.string()),
      maxAltLength: z.number().int(),
      maxCaptions: z.number().int(),
      captionMaxBytes: z.number().int(),
      captionTypes: z.array(z.string()),
    })
    .optional(),
  threads: z.strictObject({ maxSegments: z.number().int() }),
  languages: z.strictObject({ max: z.number().int() }),
  contentWarnings: z.boolean(),
  auth: z.strictObject({ kinds: z.array(z.enum(["app_password", "oauth"])), tokensExpire: z.boolean() }),
  idempotency: z.strictObject({ strategy: z.enum(["record-key", "header"]), windowMs: z.number().int().optional() }),
});
export const platformList = z.strictObject({
  platforms: z.array(platformDescriptor),
  // branch valid: each of the user's accounts with the limits that hold for it (a Mastodon instance's own).
  accounts: z.array(z.strictObject({ accountId: z.uuid(), descriptor: platformDescriptor })),
});
