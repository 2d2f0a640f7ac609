import { z } from "zod";
import { accountStatuses, deliveryStatuses, postStatuses } from "../db/schema";

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
  platform: z.enum(["bluesky"]),
  handle: z.string(),
  did: z.string(),
  service: z.string(),
  status: z.enum(accountStatuses),
  lastRefreshedAt: nullableTime,
  lastError: z.string().nullable(),
  lastErrorAt: nullableTime,
  createdAt: isoTime,
});

const imageMeta = z.strictObject({ mimeType: z.string(), alt: z.string() });

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
  status: z.enum(deliveryStatuses),
  remoteUri: z.string().nullable(),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  publishedAt: nullableTime,
  /** Only on GET /api/posts/{id} and answers about one post. */
  history: z.array(attempt).optional(),
});

export const postJson = z.strictObject({
  id: z.uuid(),
  text: z.string(),
  scheduledAt: isoTime,
  timeZone: z.string(),
  status: z.enum(postStatuses),
  langs: z.array(z.string()).optional(),
  images: z.array(imageMeta).optional(),
  thread: z.array(z.strictObject({ text: z.string(), images: z.array(imageMeta).optional() })).optional(),
  createdAt: isoTime,
  updatedAt: isoTime,
  deliveries: z.array(delivery),
});

export const onePost = z.strictObject({ post: postJson });
export const oneAccount = z.strictObject({ account: accountJson });
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

export const meResponse = z.strictObject({ user: userJson });
export const signedOut = z.strictObject({ signedOut: z.literal(true) });
export const jobQueued = z.strictObject({ jobId: z.string() });
export const jobRetried = z.strictObject({ retried: z.string() });
