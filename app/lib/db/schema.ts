import { sql } from "drizzle-orm";
import type { MastodonLimits } from "../api/mastodon/instance";
import {
  bigint,
  bigserial,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  varchar,
} from "drizzle-orm/pg-core";

const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp("updated_at", { withTimezone: true }).notNull().defaultNow();

export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    email: text("email").notNull(),
    passwordHash: text("password_hash").notNull(),
    role: text("role", { enum: ["admin", "user"] }).notNull().default("user"),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("users_email_key").on(sql`lower(${t.email})`)],
);

/** Browser sessions. `id` is the SHA-256 of the cookie value; the cookie itself is never stored. */
export const sessions = pgTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    /** Refreshed at most once a minute; a session idle past SESSION_IDLE_HOURS is over. */
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("sessions_user_idx").on(t.userId), index("sessions_expires_idx").on(t.expiresAt)],
);

/** Personal API tokens for `Authorization: Bearer`. Stored as SHA-256 hashes. */
export const apiTokens = pgTable(
  "api_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    tokenHash: text("token_hash").notNull(),
    createdAt: createdAt(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    /** Null: never expires. */
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    /** read: safe methods only (GET); write: everything the user may do. Tokens made before scopes existed are write. */
    scope: text("scope", { enum: ["read", "write"] }).notNull().default("write"),
  },
  (t) => [uniqueIndex("api_tokens_hash_key").on(t.tokenHash), index("api_tokens_user_idx").on(t.userId)],
);

/**
 * Counters of rate-limiter-flexible's RateLimiterPostgres (its own column layout), so every
 * web process shares the sign-in and account-connect throttles. `expire` is epoch ms.
 */
export const rateLimits = pgTable("rate_limits", {
  key: varchar("key", { length: 255 }).primaryKey(),
  points: integer("points").notNull().default(0),
  expire: bigint("expire", { mode: "number" }),
});

export const accountStatuses = ["active", "needs_reauth", "disabled"] as const;

/** Every platform a service is registered for (app/lib/api/services/apiManager.ts). */
export const platformNames = ["bluesky", "mastodon"] as const;
/** How the account's credentials were obtained: an app password (with rotating JWTs) or an OAuth token. */
export const credentialsKinds = ["app_password", "oauth"] as const;

export const socialAccounts = pgTable(
  "social_accounts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    platform: text("platform", { enum: platformNames }).notNull(),
    /** The account's id on its platform: the DID for Bluesky, the account id on its instance for Mastodon. */
    remoteId: text("remote_id").notNull(),
    /** As the platform writes it: `alice.bsky.social`, `@alice@mastodon.social`. */
    handle: text("handle").notNull(),
    /** The instance URL: the account's PDS for Bluesky, the Mastodon server. */
    instanceUrl: text("instance_url").notNull(),
    credentialsKind: text("credentials_kind", { enum: credentialsKinds }).notNull().default("app_password"),
    /** AES-256-GCM sealed JSON: app password, access and refresh JWTs; or an OAuth access token. */
    credentials: text("credentials").notNull(),
    /** When the access token stops working; null: it never expires (nothing to refresh). */
    accessExpiresAt: timestamp("access_expires_at", { withTimezone: true }),
    status: text("status", { enum: accountStatuses }).notNull().default("active"),
    lastRefreshedAt: timestamp("last_refreshed_at", { withTimezone: true }),
    lastError: text("last_error"),
    lastErrorAt: timestamp("last_error_at", { withTimezone: true }),
    /**
     * Set when the user disconnected the account (DELETE /api/accounts/:id): the row stays so
     * published deliveries and their history keep the handle; credentials are erased.
     * Connecting the same DID again brings the row back.
     */
    disconnectedAt: timestamp("disconnected_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("social_accounts_owner_remote_id_key").on(t.userId, t.platform, t.remoteId),
    index("social_accounts_status_idx").on(t.platform, t.status),
  ],
);

export const postStatuses = [
  "scheduled",
  "publishing",
  "published",
  "partially_failed",
  "failed",
  "cancelled",
] as const;

export const posts = pgTable(
  "posts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    text: text("text").notNull(),
    /** Everything beyond the first segment's text: langs, images, further thread segments. */
    content: jsonb("content").notNull().default({}),
    scheduledAt: timestamp("scheduled_at", { withTimezone: true }).notNull(),
    timeZone: text("time_zone").notNull().default("UTC"),
    status: text("status", { enum: postStatuses }).notNull().default("scheduled"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("posts_user_scheduled_idx").on(t.userId, t.scheduledAt, t.id)],
);

/** partially_published: some thread segments are live, the rest failed and no retry is left. */
export const deliveryStatuses = ["pending", "publishing", "published", "partially_published", "failed", "cancelled"] as const;

/**
 * What a delivery put on the platform (one per published thread segment, in order). Bluesky:
 * the record's at:// uri and cid. Mastodon: the status's ActivityPub uri, its id and its web url.
 */
export interface SegmentRecord {
  uri: string;
  cid?: string;
  /** The platform's own id for it, when it has one besides the uri (Mastodon's status id). */
  id?: string;
  /** The web page a person opens to see it. */
  url?: string | null;
}

export const deliveries = pgTable(
  "deliveries",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    postId: uuid("post_id")
      .notNull()
      .references(() => posts.id, { onDelete: "cascade" }),
    accountId: uuid("account_id")
      .notNull()
      .references(() => socialAccounts.id, { onDelete: "cascade" }),
    status: text("status", { enum: deliveryStatuses }).notNull().default("pending"),
    /** The first segment's key chosen at scheduling (= rkeys[0]). */
    rkey: text("rkey").notNull(),
    /**
     * One idempotency key per thread segment, chosen at scheduling by the platform's descriptor
     * (rkeys[0] = rkey): a Bluesky record key (TID), a Mastodon Idempotency-Key. Each segment is
     * idempotent on its own.
     */
    rkeys: text("rkeys").array().notNull().default(sql`'{}'::text[]`),
    /** Copy of the post's scheduled_at, so the reconciler finds due and missed deliveries by index. */
    scheduledAt: timestamp("scheduled_at", { withTimezone: true }).notNull().defaultNow(),
    /** The record's fixed createdAt, so a retry writes byte-identical content. */
    recordCreatedAt: timestamp("record_created_at", { withTimezone: true }).notNull(),
    remoteUri: text("remote_uri"),
    remoteCid: text("remote_cid"),
    /** The thread segments already live, in order (a prefix of the thread): a retry continues after them. */
    segmentRecords: jsonb("segment_records").$type<SegmentRecord[]>().notNull().default([]),
    /** Set while the job waits for the platform's rate limit (shown to the user; null otherwise). */
    waitingUntil: timestamp("waiting_until", { withTimezone: true }),
    /** Rate-limit waits taken so far; past RATE_LIMIT_MAX_WAIT_MINUTES the delivery fails. */
    rateLimitWaitedMs: integer("rate_limit_waited_ms").notNull().default(0),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    /** Why it failed, when a machine must act on it: "reauth" = the account needed reconnecting (retried on reconnect). */
    failureCode: text("failure_code"),
    publishedAt: timestamp("published_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("deliveries_post_account_key").on(t.postId, t.accountId),
    // (status, scheduled_at) also serves every status-only lookup; one index less to update per publish.
    index("deliveries_status_scheduled_idx").on(t.status, t.scheduledAt),
    index("deliveries_account_idx").on(t.accountId),
  ],
);

export const deliveryAttempts = pgTable(
  "delivery_attempts",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    deliveryId: uuid("delivery_id")
      .notNull()
      .references(() => deliveries.id, { onDelete: "cascade" }),
    attempt: integer("attempt").notNull(),
    outcome: text("outcome", { enum: ["published", "already_published", "retry", "rate_limited", "failed"] }).notNull(),
    error: text("error"),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull(),
    finishedAt: timestamp("finished_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("delivery_attempts_delivery_idx").on(t.deliveryId, t.id)],
);

// --- branch idem: Idempotency-Key (issue 17) ---

/**
 * One row per (user, Idempotency-Key) seen on a POST: inserted first as a reservation
 * (`response_status` null) so concurrent requests with the same key find it and wait; filled in
 * with the first answer, which later requests replay. Rows live 24 h (the purge deletes them).
 */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    /** sha256 of method, path and body: the same key with another request is refused. */
    requestHash: text("request_hash").notNull(),
    /** Null while the first request runs. */
    responseStatus: integer("response_status"),
    /** The first answer's body, sealed (it may hold a secret shown once, e.g. a new API token). */
    responseBody: text("response_body"),
    responseType: text("response_type"),
    /** A reservation whose request died (crashed process) is taken over after this time. */
    lockedUntil: timestamp("locked_until", { withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.key] }), index("idempotency_keys_created_idx").on(t.createdAt)],
);

export type User = typeof users.$inferSelect;
export type SocialAccount = typeof socialAccounts.$inferSelect;
export type Post = typeof posts.$inferSelect;
export type Delivery = typeof deliveries.$inferSelect;
export type DeliveryAttempt = typeof deliveryAttempts.$inferSelect;

// ---- branch webhooks (issue 17 item 3): signed webhooks, their outbox and delivery log ----

export const webhookEventTypes = [
  "post.published",
  "post.failed",
  "post.partially_published",
  "account.needs_reconnect",
  "account.reconnected",
] as const;

/** A user's endpoint. The signing secret is sealed (secretBox, context = the webhook id). */
export const webhooks = pgTable(
  "webhooks",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    url: text("url").notNull(),
    events: text("events").array().notNull(),
    secret: text("secret").notNull(),
    /** Events in a row that used up every attempt without a 2xx; reset by any 2xx. */
    consecutiveFailures: integer("consecutive_failures").notNull().default(0),
    /** Set when persistent failure paused the endpoint; deliveries are held until it is resumed. */
    pausedAt: timestamp("paused_at", { withTimezone: true }),
    pausedReason: text("paused_reason"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("webhooks_user_idx").on(t.userId)],
);

/**
 * The outbox: one row per event, written by database triggers (drizzle/0010_webhooks.sql) in
 * the transaction that changes the delivery or account it reports — only when the user has
 * an endpoint subscribed to it.
 */
export const webhookEvents = pgTable(
  "webhook_events",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    type: text("type").notNull(),
    data: jsonb("data").$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("webhook_events_created_idx").on(t.createdAt)],
);

/** One event for one endpoint. Its id is the `PostMore-Delivery` header, the same on every retry. */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    webhookId: uuid("webhook_id")
      .notNull()
      .references(() => webhooks.id, { onDelete: "cascade" }),
    eventId: uuid("event_id")
      .notNull()
      .references(() => webhookEvents.id, { onDelete: "cascade" }),
    status: text("status", { enum: ["pending", "delivered", "failed", "held"] }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    /** Null until the relay put its job on the queue (the outbox's "not yet sent" mark). */
    enqueuedAt: timestamp("enqueued_at", { withTimezone: true }),
    deliveredAt: timestamp("delivered_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("webhook_deliveries_webhook_event_key").on(t.webhookId, t.eventId),
    index("webhook_deliveries_webhook_idx").on(t.webhookId, t.createdAt),
    index("webhook_deliveries_unqueued_idx").on(t.createdAt).where(sql`enqueued_at IS NULL`),
  ],
);

/** Every try of a delivery: the log users see per endpoint. */
export const webhookAttempts = pgTable(
  "webhook_attempts",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    deliveryId: uuid("delivery_id")
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: "cascade" }),
    attempt: integer("attempt").notNull(),
    statusCode: integer("status_code"),
    error: text("error"),
    durationMs: integer("duration_ms").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("webhook_attempts_delivery_idx").on(t.deliveryId, t.id)],
);

export type Webhook = typeof webhooks.$inferSelect;
export type WebhookDelivery = typeof webhookDeliveries.$inferSelect;

// ---- branch media: images stored once, referenced by id (issue 15 item 4) ----

/**
 * One uploaded image of one user. The bytes live once per distinct content under
 * <dataDir>/media/<sha256[0:2]>/<sha256> (two users uploading the same picture share the file);
 * this row is the user's handle on it. Posts reference rows by id, never carry bytes.
 */
export const media = pgTable(
  "media",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** Hex SHA-256 of the stored (metadata-stripped) bytes: the file's name. */
    sha256: varchar("sha256", { length: 64 }).notNull(),
    mimeType: text("mime_type").notNull(),
    bytes: integer("bytes").notNull(),
    width: integer("width").notNull(),
    height: integer("height").notNull(),
    createdAt: createdAt(),
  },
  // The same bytes uploaded twice by one user are one row (the upload answers the existing one).
  (t) => [uniqueIndex("media_user_sha256_key").on(t.userId, t.sha256)],
);

export type Media = typeof media.$inferSelect;

// --- branch oauth: Bluesky OAuth (issue 16) ---
// The OAuth client's state (one row per authorization in progress, for at most an hour)
// and its sessions (one per DID: DPoP key and token set). Both values are sealed with the
// SecretBox (the row's key is the associated data). An account whose DID has a session
// row publishes through OAuth; the others through their app password.

export const blueskyOAuthStates = pgTable(
  "bluesky_oauth_states",
  {
    key: text("key").primaryKey(),
    value: text("value").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("bluesky_oauth_states_created_idx").on(t.createdAt)],
);

export const blueskyOAuthSessions = pgTable("bluesky_oauth_sessions", {
  did: text("did").primaryKey(),
  value: text("value").notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
// --- branch mastodon: Mastodon apps and connect states ---

/** PostMore's app registration on one Mastodon instance (POST /api/v1/apps), made once per instance. */
export const mastodonApps = pgTable("mastodon_apps", {
  instanceUrl: text("instance_url").primaryKey(),
  clientId: text("client_id").notNull(),
  /** AES-256-GCM sealed. */
  clientSecret: text("client_secret").notNull(),
  redirectUri: text("redirect_uri").notNull(),
  scopes: text("scopes").notNull(),
  createdAt: createdAt(),
  // branch valid: the instance's limits (/api/v2/instance) as last read, for validation and the composer.
  limits: jsonb("limits").$type<MastodonLimits>(),
  limitsFetchedAt: timestamp("limits_fetched_at", { withTimezone: true }),
});

/** A connection started with POST /api/accounts/mastodon/authorize, until its callback (or expiry). */
export const mastodonConnectStates = pgTable(
  "mastodon_connect_states",
  {
    /** SHA-256 of the OAuth `state`; the state itself only travels through the browser. */
    stateHash: text("state_hash").primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    instanceUrl: text("instance_url").notNull(),
    /** The PKCE code verifier, AES-256-GCM sealed. */
    codeVerifier: text("code_verifier").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("mastodon_connect_states_expires_idx").on(t.expiresAt)],
);
