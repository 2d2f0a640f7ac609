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
  QUEUE_PREFIX: z.preprocess(emptyAsUndefined, z.string().regex(/^[^:\s]+$/, "a prefix without ':' or spaces").default("{postmore}")),
  DATABASE_URL: z.preprocess(
    emptyAsUndefined,
    z.string().regex(/^postgres(ql)?:\/\/.+/, "a postgres:// or postgresql:// URL").optional(),
  ),
  PORT: port(3000),
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
  ATPROTO_PLC_URL: z.preprocess(emptyAsUndefined, z.url({ protocol: /^https?$/ }).default("https://plc.directory")),
  ATPROTO_HANDLE_RESOLVER_URL: z.preprocess(
    emptyAsUndefined,
    z.url({ protocol: /^https?$/ }).default("https://public.api.bsky.app"),
  ),
  ATPROTO_TIMEOUT_MS: positiveInt(15_000),
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
});

export type QueueBackendKind = "redis" | "postgres";

export interface Config {
  env: "development" | "production" | "test";
  port: number;
  dataDir: string;
  /** Unset means: the embedded PostgreSQL started by `npm start`. */
  databaseUrl: string | undefined;
  /** Unset means: generated into the data dir (embedded mode only). */
  secret: string | undefined;
  /** POSTMORE_NEW_SECRET: the key `rotate-secret` moves every sealed value to. */
  newSecret: string | undefined;
  queue: {
    backend: QueueBackendKind;
    prefix: string;
    redis: {
      url: string | undefined;
      host: string;
      port: number;
      password: string | undefined;
      tls: boolean;
      /** Sentinel addresses; when set, the master named `sentinelName` is discovered through them. */
      sentinels: Array<{ host: string; port: number }>;
      sentinelName: string;
    };
  };
  logLevel: string;
  concurrency: { posts: number; tokenRefresh: number };
  tokenRefreshTimeZone: string;
  missedPostAfterHours: number;
  reconcileIntervalSeconds: number;
  admin: { email: string | undefined; password: string | undefined };
  /** BullMQ spans through OpenTelemetry (bullmq-otel); exported only where an OTel SDK is started. */
  otelTracing: boolean;
  /** A separate bearer token for Prometheus scrapes of /api/metrics (admins can always read it). */
  metricsToken: string | undefined;
  atproto: {
    /** DID PLC directory used to find an account's PDS from its DID. */
    plcUrl: string;
    /** XRPC service asked (com.atproto.identity.resolveHandle) when DNS and HTTPS handle resolution fail. */
    handleResolverUrl: string;
    /** Per-request timeout for calls to a PDS, PLC or resolver. */
    timeoutMs: number;
  };
  outbound: {
    /** OUTBOUND_ALLOWLIST entries: destinations exempt from the public-address rule (LAN PDS, tests). */
    allowlist: string[];
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
      return `${name}=${JSON.stringify(env[name] ?? "")}: expected ${issue.message}`;
    });
    throw new ConfigError(problems);
  }
  const e = parsed.data;
  const redisConfigured =
    (env.REDIS_HOST !== undefined && env.REDIS_HOST !== "") || e.REDIS_URL !== undefined || e.REDIS_SENTINELS !== undefined;
  const backend: QueueBackendKind = e.QUEUE_BACKEND ?? (redisConfigured ? "redis" : "postgres");
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    dataDir: e.POSTMORE_DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    secret: e.POSTMORE_SECRET,
    newSecret: e.POSTMORE_NEW_SECRET,
    queue: {
      backend,
      prefix: e.QUEUE_PREFIX,
      redis: {
        url: e.REDIS_URL,
        host: e.REDIS_HOST,
        port: e.REDIS_PORT,
        password: e.REDIS_PASSWORD,
        tls: e.REDIS_TLS === "true" || e.REDIS_TLS === "1" || (e.REDIS_URL?.startsWith("rediss://") ?? false),
        sentinels: (e.REDIS_SENTINELS ?? "")
          .split(",")
          .filter(Boolean)
          .map((hp) => ({ host: hp.slice(0, hp.lastIndexOf(":")), port: Number(hp.slice(hp.lastIndexOf(":") + 1)) })),
        sentinelName: e.REDIS_SENTINEL_NAME,
      },
    },
    logLevel: e.LOG_LEVEL,
    concurrency: { posts: e.POST_WORKER_CONCURRENCY, tokenRefresh: e.TOKEN_REFRESH_WORKER_CONCURRENCY },
    tokenRefreshTimeZone: e.TOKEN_REFRESH_TZ,
    missedPostAfterHours: e.MISSED_POST_AFTER_HOURS,
    reconcileIntervalSeconds: e.RECONCILE_INTERVAL_SECONDS,
    admin: { email: e.ADMIN_EMAIL, password: e.ADMIN_PASSWORD },
    metricsToken: e.METRICS_TOKEN,
    otelTracing: e.OTEL_TRACING === "true" || e.OTEL_TRACING === "1",
    atproto: { plcUrl: e.ATPROTO_PLC_URL, handleResolverUrl: e.ATPROTO_HANDLE_RESOLVER_URL, timeoutMs: e.ATPROTO_TIMEOUT_MS },
    outbound: { allowlist: parseAllowlist(e.OUTBOUND_ALLOWLIST).entries.slice() },
  };
}

/** A printable one-liner: which database and which queue backend, no secrets. */
export function describeBackends(config: Config): string {
  const db = config.databaseUrl ? `PostgreSQL at ${redactUrl(config.databaseUrl)}` : "embedded PostgreSQL";
  const redis = config.queue.redis.url
    ? redactUrl(config.queue.redis.url)
    : `${config.queue.redis.host}:${config.queue.redis.port}`;
  const queue = config.queue.backend === "redis" ? `Redis at ${redis}` : "PostgreSQL (BullMQ's postgres backend)";
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
