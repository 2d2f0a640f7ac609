import { z } from "zod";
import { parseAllowlist } from "./net/allowlist";
import { isTimeZone } from "./timeZone";

/**
 * The only place that reads process.env. Everything else receives a Config.
 * Raw values are read first, then validated with defaults in a second step;
 * every bad variable is reported in one message.
 */

const emptyAsUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const optionalString = z.preprocess(emptyAsUndefined, z.string().optional());
const port = (fallback: number) =>
  z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(65535).default(fallback));
const positiveInt = (fallback: number) =>
  z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).default(fallback));


/** `postgres://u:p@h1:5432,h2:5432/db` (libpq's multi-host form), which pg cannot parse. */
function multiHost(url: string): boolean {
  const authority = url.replace(/^[a-z]+:\/\//, "").split(/[/?#]/)[0] ?? "";
  return authority.slice(authority.lastIndexOf("@") + 1).includes(",");
}
const hostPorts = (list: string | undefined) =>
  (list ?? "")
    .split(",")
    .filter(Boolean)
    .map((hp) => ({ host: hp.slice(0, hp.lastIndexOf(":")), port: Number(hp.slice(hp.lastIndexOf(":") + 1)) }));
const flag = (v: string | undefined) => v === "true" || v === "1";

const envSchema = z.object({
  NODE_ENV: z.preprocess(emptyAsUndefined, z.enum(["development", "production", "test"]).default("development")),
  QUEUE_BACKEND: z.preprocess(emptyAsUndefined, z.enum(["redis", "postgres"]).optional()),
  REDIS_HOST: z.preprocess(emptyAsUndefined, z.string().default("localhost")),
  REDIS_PORT: port(6379),
  REDIS_PASSWORD: optionalString,
  REDIS_URL: z.preprocess(
    emptyAsUndefined,
    z.string().regex(/^rediss?:\/\/.+/, "a redis:// or rediss:// URL").optional(),
  ),
  REDIS_TLS: z.preprocess(emptyAsUndefined, z.enum(["true", "false", "1", "0"]).optional()),
  REDIS_SENTINELS: z.preprocess(
    emptyAsUndefined,
    z.string().regex(/^[^\s:,]+:\d+(,[^\s:,]+:\d+)*$/, "host:port[,host:port…] of Redis Sentinels").optional(),
  ),
  REDIS_SENTINEL_NAME: z.preprocess(emptyAsUndefined, z.string().default("mymaster")),
  REDIS_SENTINEL_PASSWORD: optionalString,
  REDIS_SENTINEL_TLS: z.preprocess(emptyAsUndefined, z.enum(["true", "false", "1", "0"]).optional()),
  REDIS_CLUSTER_NODES: z.preprocess(
    emptyAsUndefined,
    z.string().regex(/^[^\s:,]+:\d+(,[^\s:,]+:\d+)*$/, "host:port[,host:port…] of Redis Cluster nodes").optional(),
  ),
  QUEUE_PREFIX: z.preprocess(emptyAsUndefined, z.string().regex(/^[^:\s]+$/, "a prefix without ':' or spaces").default("{postmore}")),
  DATABASE_URL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^postgres(ql)?:\/\/.+/, "a postgres:// or postgresql:// URL")
      .refine(
        (url) => !multiHost(url),
        "one host: node-postgres cannot fail over between the hosts of a multi-host URL. Point DATABASE_URL at one writable endpoint (a Patroni/HAProxy or keepalived address, PgBouncer, or a managed service's writer endpoint); see docs/PRODUCTION.md",
      )
      .optional(),
  ),
  DATABASE_POOL_MAX: positiveInt(10),
  QUEUE_DATABASE_POOL_MAX: positiveInt(5),
  PORT: port(3000),
  HOSTNAME: optionalString,
  POSTMORE_DATA_DIR: z.preprocess(emptyAsUndefined, z.string().default("./data")),
  POSTMORE_SECRET: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$/, "32 random bytes as 64 hex characters or base64 (openssl rand -hex 32)")
      .optional(),
  ),
  // Only `npm run cli -- rotate-secret` reads it: the key every sealed value is re-encrypted under.
  POSTMORE_NEW_SECRET: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$/, "32 random bytes as 64 hex characters or base64 (openssl rand -hex 32)")
      .optional(),
  ),
  LOG_LEVEL: z.preprocess(
    emptyAsUndefined,
    z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  ),
  POST_WORKER_CONCURRENCY: positiveInt(5),
  TOKEN_REFRESH_WORKER_CONCURRENCY: positiveInt(2),
  TOKEN_REFRESH_TZ: z.preprocess(
    emptyAsUndefined,
    z.string().refine(isTimeZone, "an IANA time zone such as UTC or Europe/Berlin").default("UTC"),
  ),
  MISSED_POST_AFTER_HOURS: positiveInt(24),
  RECONCILE_INTERVAL_SECONDS: positiveInt(300),
  RATE_LIMIT_MAX_WAIT_MINUTES: positiveInt(60),
  QUEUE_LOCK_DURATION_MS: positiveInt(6_000),
  QUEUE_STALLED_INTERVAL_MS: positiveInt(2_000),
  ATPROTO_PLC_URL: z.preprocess(emptyAsUndefined, z.url({ protocol: /^https?$/ }).default("https://plc.directory")),
  ATPROTO_HANDLE_RESOLVER_URL: z.preprocess(
    emptyAsUndefined,
    z.url({ protocol: /^https?$/ }).default("https://public.api.bsky.app"),
  ),
  ATPROTO_TIMEOUT_MS: positiveInt(15_000),
  // branch mastodon
  MASTODON_TIMEOUT_MS: positiveInt(15_000),
  MASTODON_MEDIA_POLL_MS: positiveInt(1_000),
  OUTBOUND_ALLOWLIST: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .refine((v) => {
        try {
          parseAllowlist(v);
          return true;
        } catch {
          return false;
        }
      }, "comma-separated host, host:port or CIDR entries (for example 10.0.0.5:2583,192.168.1.0/24)")
      .optional(),
  ),
  OTEL_TRACING: z.preprocess(emptyAsUndefined, z.enum(["true", "false", "1", "0"]).default("false")),
  METRICS_TOKEN: z.preprocess(emptyAsUndefined, z.string().min(16, "at least 16 characters").optional()),
  ADMIN_EMAIL: optionalString,
  ADMIN_PASSWORD: optionalString,
  BACKUP_INTERVAL_HOURS: z.preprocess(emptyAsUndefined, z.coerce.number().min(0).default(24)),
  BACKUP_KEEP: positiveInt(7),
  // Inbound security (docs/SECURITY.md)
  PUBLIC_URL: z.preprocess(emptyAsUndefined, z.url({ protocol: /^https?$/ }).optional()),
  SESSION_IDLE_HOURS: positiveInt(72),
  SIGNIN_LOCKOUT_SECONDS: positiveInt(60),
  ACCOUNT_CONNECT_LIMIT_PER_HOUR: positiveInt(30),
  API_RATE_LIMIT_PER_MINUTE: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).default(60_000)),
  PASSWORD_HASH_CONCURRENCY: positiveInt(2),
  // Webhooks (branch webhooks; docs/API.md "Webhooks")
  WEBHOOK_ATTEMPTS: positiveInt(8),
  WEBHOOK_RETRY_DELAY_MS: positiveInt(660_000),
  WEBHOOK_TIMEOUT_MS: positiveInt(10_000),
  WEBHOOK_PAUSE_AFTER_FAILED_EVENTS: positiveInt(3),
  WEBHOOK_RELAY_INTERVAL_MS: positiveInt(2_000),
  WEBHOOK_CONCURRENCY: positiveInt(5),
  // branch media: POST /api/media's cap. 1,000,000 bytes is Bluesky's image blob limit (the
  // strictest platform); a Mastodon-only install may raise it (Mastodon takes 16 MB images).
  MEDIA_MAX_BYTES: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1024).max(64 * 1024 * 1024).default(1_000_000)),
  // branch oauth: Bluesky OAuth (docs/BLUESKY_OAUTH.md)
  BLUESKY_OAUTH_PRIVATE_KEY: optionalString,
  BLUESKY_OAUTH_ALLOW_HTTP: z.preprocess(emptyAsUndefined, z.enum(["true", "false", "1", "0"]).default("false")),
  // branch video: Bluesky video posts (docs/API.md "Video"). 100,000,000 bytes is Bluesky's video limit.
  MEDIA_MAX_VIDEO_BYTES: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1024).max(100_000_000).default(100_000_000)),
  // Set but empty means "upload videos straight to the PDS", so no emptyAsUndefined here.
  BLUESKY_VIDEO_SERVICE_URL: z.preprocess(
    (v) => (typeof v === "string" ? v.trim() : v),
    z.union([z.literal(""), z.url({ protocol: /^https?$/ })]).default("https://video.bsky.app"),
  ),
});

export type QueueBackendKind = "redis" | "postgres";

export interface Config {
  env: "development" | "production" | "test";
  port: number;
  /** The address `npm start` binds the web app to; unset means every interface (0.0.0.0). */
  hostname: string | undefined;
  dataDir: string;
  /** Unset means: the embedded PostgreSQL started by `npm start`. */
  databaseUrl: string | undefined;
  /** Connections of the process's data pool (DATABASE_POOL_MAX). */
  databasePoolMax: number;
  /** Unset means: generated into the data dir (embedded mode only). */
  secret: string | undefined;
  /** POSTMORE_NEW_SECRET: the key `rotate-secret` moves every sealed value to. */
  newSecret: string | undefined;
  queue: {
    backend: QueueBackendKind;
    prefix: string;
    /** Pool size of each Queue and Worker on the PostgreSQL queue backend (QUEUE_DATABASE_POOL_MAX). */
    postgresPoolMax: number;
    redis: {
      url: string | undefined;
      host: string;
      port: number;
      password: string | undefined;
      tls: boolean;
      /** Sentinel addresses; when set, the master named `sentinelName` is discovered through them. */
      sentinels: Array<{ host: string; port: number }>;
      sentinelName: string;
      /** AUTH for the Sentinels themselves (REDIS_PASSWORD is the data nodes'). */
      sentinelPassword: string | undefined;
      /** TLS to the Sentinels (REDIS_TLS covers the data nodes). */
      sentinelTls: boolean;
      /** Seed nodes of a Redis Cluster; when set, every queue connection is an ioredis Cluster. */
      clusterNodes: Array<{ host: string; port: number }>;
    };
  };
  logLevel: string;
  concurrency: { posts: number; tokenRefresh: number };
  tokenRefreshTimeZone: string;
  missedPostAfterHours: number;
  reconcileIntervalSeconds: number;
  /** A delivery that waited this long in all for a platform's rate limit fails (with a message saying so). */
  rateLimitMaxWaitMinutes: number;
  /**
   * BullMQ job lock and stalled check of the post worker: a job whose worker died is found
   * and run again within about lockDurationMs + stalledIntervalMs. Locks are renewed every
   * lockDurationMs / 2 while a job runs (long uploads keep their lock).
   */
  jobLocks: { lockDurationMs: number; stalledIntervalMs: number };
  admin: { email: string | undefined; password: string | undefined };
  /** Scheduled backups of the embedded install under <dataDir>/backups (intervalHours 0 = off). */
  backups: { intervalHours: number; keep: number };
  /** BullMQ spans through OpenTelemetry (bullmq-otel); exported only where an OTel SDK is started. */
  otelTracing: boolean;
  /** A separate bearer token for Prometheus scrapes of /api/metrics (admins can always read it). */
  metricsToken: string | undefined;
  security: {
    /** The origin people reach the app at; https makes cookies Secure and `__Host-` prefixed. */
    publicUrl: string | undefined;
    sessionIdleHours: number;
    /** First wait after 5 failed sign-ins for one email or address; doubles on each further failure. */
    signInLockoutSeconds: number;
    accountConnectLimitPerHour: number;
    /** Requests per API token per minute in each web process; 0 = unlimited. */
    apiRateLimitPerMinute: number;
    /** Argon2 hashes computed at once in a process (more wait; a long queue answers 503). */
    passwordHashConcurrency: number;
  };
  atproto: {
    /** DID PLC directory used to find an account's PDS from its DID. */
    plcUrl: string;
    /** XRPC service asked (com.atproto.identity.resolveHandle) when DNS and HTTPS handle resolution fail. */
    handleResolverUrl: string;
    /** Per-request timeout for calls to a PDS, PLC or resolver. */
    timeoutMs: number;
    /** branch video: Bluesky's video service (BLUESKY_VIDEO_SERVICE_URL); "" = videos go straight to the PDS as blobs. */
    videoServiceUrl: string;
  };
  /** branch mastodon: calls to Mastodon instances. */
  mastodon: {
    /** Per-request timeout for calls to an instance. */
    timeoutMs: number;
    /** How often an image still being processed by the instance is asked about again. */
    mediaPollMs: number;
  };
  outbound: {
    /** OUTBOUND_ALLOWLIST entries: destinations exempt from the public-address rule (LAN PDS, tests). */
    allowlist: string[];
  };
  webhooks: {
    /** Tries per event and endpoint (the first included). */
    attempts: number;
    /** First retry delay; it doubles each time (the default 11 min makes 8 attempts span ~23 h). */
    retryDelayMs: number;
    /** Deadline of one delivery request. */
    timeoutMs: number;
    /** Events in a row that used up every attempt before an endpoint is paused. */
    pauseAfterFailedEvents: number;
    /** How often the worker's relay looks for outbox rows not yet on the queue. */
    relayIntervalMs: number;
    concurrency: number;
  };
  /** branch media: uploaded images (stored under <dataDir>/media). */
  media: {
    /** Largest upload accepted (MEDIA_MAX_BYTES), counted while streaming. */
    maxBytes: number;
    /** branch video: largest mp4 accepted (MEDIA_MAX_VIDEO_BYTES). */
    maxVideoBytes: number;
  };
  /** Bluesky OAuth (branch oauth): confidential client when security.publicUrl is https, else the loopback client. */
  blueskyOAuth: {
    /** The client's ES256 signing key (PKCS#8 PEM or JWK JSON); unset: generated into the data dir. */
    privateKey: string | undefined;
    /** Let the OAuth client talk to http:// authorization servers (a local PDS in development and tests only). */
    allowHttp: boolean;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? "environment");
      // A URL's password must not reach the logs with the message.
      const shown = (env[name] ?? "").replace(/(:\/\/[^:/@]*:)[^@/]*@/, "$1***@");
      return `${name}=${JSON.stringify(shown)}: expected ${issue.message}`;
    });
    throw new ConfigError(problems);
  }
  const e = parsed.data;
  if (e.REDIS_CLUSTER_NODES && !/\{[^}]+\}/.test(e.QUEUE_PREFIX)) {
    // BullMQ's scripts touch several keys of a queue at once: on a Cluster they must share a slot.
    throw new ConfigError([`QUEUE_PREFIX=${JSON.stringify(e.QUEUE_PREFIX)}: expected a hash tag such as {postmore} with REDIS_CLUSTER_NODES`]);
  }
  const redisConfigured =
    (env.REDIS_HOST !== undefined && env.REDIS_HOST !== "") || e.REDIS_URL !== undefined || e.REDIS_SENTINELS !== undefined ||
    e.REDIS_CLUSTER_NODES !== undefined;
  const backend: QueueBackendKind = e.QUEUE_BACKEND ?? (redisConfigured ? "redis" : "postgres");
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    hostname: e.HOSTNAME,
    dataDir: e.POSTMORE_DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    secret: e.POSTMORE_SECRET,
    newSecret: e.POSTMORE_NEW_SECRET,
    queue: {
      backend,
      prefix: e.QUEUE_PREFIX,
      postgresPoolMax: e.QUEUE_DATABASE_POOL_MAX,
      redis: {
        url: e.REDIS_URL,
        host: e.REDIS_HOST,
        port: e.REDIS_PORT,
        password: e.REDIS_PASSWORD,
        tls: flag(e.REDIS_TLS) || (e.REDIS_URL?.startsWith("rediss://") ?? false),
        sentinels: hostPorts(e.REDIS_SENTINELS),
        sentinelName: e.REDIS_SENTINEL_NAME,
        sentinelPassword: e.REDIS_SENTINEL_PASSWORD,
        sentinelTls: flag(e.REDIS_SENTINEL_TLS),
        clusterNodes: hostPorts(e.REDIS_CLUSTER_NODES),
      },
    },
    logLevel: e.LOG_LEVEL,
    concurrency: { posts: e.POST_WORKER_CONCURRENCY, tokenRefresh: e.TOKEN_REFRESH_WORKER_CONCURRENCY },
    tokenRefreshTimeZone: e.TOKEN_REFRESH_TZ,
    missedPostAfterHours: e.MISSED_POST_AFTER_HOURS,
    reconcileIntervalSeconds: e.RECONCILE_INTERVAL_SECONDS,
    rateLimitMaxWaitMinutes: e.RATE_LIMIT_MAX_WAIT_MINUTES,
    jobLocks: { lockDurationMs: e.QUEUE_LOCK_DURATION_MS, stalledIntervalMs: e.QUEUE_STALLED_INTERVAL_MS },
    admin: { email: e.ADMIN_EMAIL, password: e.ADMIN_PASSWORD },
    backups: { intervalHours: e.BACKUP_INTERVAL_HOURS, keep: e.BACKUP_KEEP },
    metricsToken: e.METRICS_TOKEN,
    otelTracing: flag(e.OTEL_TRACING),
    security: {
      publicUrl: e.PUBLIC_URL === undefined ? undefined : new URL(e.PUBLIC_URL).origin,
      sessionIdleHours: e.SESSION_IDLE_HOURS,
      signInLockoutSeconds: e.SIGNIN_LOCKOUT_SECONDS,
      accountConnectLimitPerHour: e.ACCOUNT_CONNECT_LIMIT_PER_HOUR,
      apiRateLimitPerMinute: e.API_RATE_LIMIT_PER_MINUTE,
      passwordHashConcurrency: e.PASSWORD_HASH_CONCURRENCY,
    },
    atproto: { plcUrl: e.ATPROTO_PLC_URL, handleResolverUrl: e.ATPROTO_HANDLE_RESOLVER_URL, timeoutMs: e.ATPROTO_TIMEOUT_MS, videoServiceUrl: e.BLUESKY_VIDEO_SERVICE_URL.replace(/\/+$/, "") },
    mastodon: { timeoutMs: e.MASTODON_TIMEOUT_MS, mediaPollMs: e.MASTODON_MEDIA_POLL_MS },
    outbound: { allowlist: parseAllowlist(e.OUTBOUND_ALLOWLIST).entries.slice() },
    webhooks: {
      attempts: e.WEBHOOK_ATTEMPTS,
      retryDelayMs: e.WEBHOOK_RETRY_DELAY_MS,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      pauseAfterFailedEvents: e.WEBHOOK_PAUSE_AFTER_FAILED_EVENTS,
      relayIntervalMs: e.WEBHOOK_RELAY_INTERVAL_MS,
      concurrency: e.WEBHOOK_CONCURRENCY,
    },
    media: { maxBytes: e.MEDIA_MAX_BYTES, maxVideoBytes: e.MEDIA_MAX_VIDEO_BYTES },
    blueskyOAuth: { privateKey: e.BLUESKY_OAUTH_PRIVATE_KEY, allowHttp: flag(e.BLUESKY_OAUTH_ALLOW_HTTP) },
  };
}

/** A printable one-liner: which database and which queue backend, no secrets. */
export function describeBackends(config: Config): string {
  const db = config.databaseUrl ? `PostgreSQL at ${redactUrl(config.databaseUrl)}` : "embedded PostgreSQL";
  const r = config.queue.redis;
  const list = (nodes: Array<{ host: string; port: number }>) => nodes.map((n) => `${n.host}:${n.port}`).join(",");
  const redis =
    r.clusterNodes.length > 0
      ? `Redis Cluster (seeds ${list(r.clusterNodes)})`
      : r.sentinels.length > 0
        ? `Redis master "${r.sentinelName}" via Sentinels ${list(r.sentinels)}`
        : `Redis at ${r.url ? redactUrl(r.url) : `${r.host}:${r.port}`}`;
  const queue = config.queue.backend === "redis" ? redis : "PostgreSQL (BullMQ's postgres backend)";
  return `database: ${db}; queues: ${queue}`;
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable URL)";
  }
}
