import type { NodeOAuthClient } from "@atproto/oauth-client-node";
import type { WebhookJobData } from "./webhooks/queue";
import type { Queue } from "bullmq";
import { blueskyOAuthSessions } from "./api/bluesky/oauth/sessions";
import { instanceLimitsStore } from "./api/mastodon/limitsStore";
import { createPlatformRegistry, type PlatformRegistry } from "./api/services/apiManager";
import { createAuthGuards, type AuthGuards } from "./auth/guards";
import { describeBackends, type Config } from "./config";
import { createSecretBox, type SecretBox } from "./crypto/secretBox";
import { createDatabase, type Database } from "./db/client";
import { logger, setLogLevel } from "./logger";
import { createOutbound, type Outbound } from "./net/outbound";
import { createQueueBackend, queueBackendSettings, type QueueBackend, type QueueBackendSettings } from "./queues/backend";
import type { PostJobData } from "./queues/postQueue";
import type { TokenRefreshJobData } from "./queues/tokenRefreshQueue";

/** A queue this context opened, with the first retry delay of its jobs (tests shorten it). */
export interface OpenQueue<D> {
  queue: Queue<D>;
  retryDelayMs: number;
}

/** The seed's two queues, opened on first use by queues/postQueue.ts and queues/tokenRefreshQueue.ts. */
export interface OpenQueues {
  posts?: OpenQueue<PostJobData>;
  tokenRefresh?: OpenQueue<TokenRefreshJobData>;
  webhooks?: Queue<WebhookJobData>;
}

/** This process's side of the advisory locks (db/advisoryLock.ts). */
export interface LockState {
  /** Per lock key, the tail of the in-process queue of holders: one waiter per process polls the database. */
  tails: Map<string, Promise<void>>;
}

/**
 * Every dependency assembled in one place. Services take what they need from it;
 * tests build one with real databases and their own queue prefix or schema.
 */
export interface AppContext {
  config: Config;
  database: Database;
  queues: QueueBackend;
  box: SecretBox;
  /** Sign-in and API throttles, bounded password hashing. */
  guards: AuthGuards;
  /** The guarded client for every URL a user can influence (app/lib/net). */
  outbound: Outbound;
  /** The platform services by name (api/services/apiManager.ts); tests swap one in with registerPlatformService. */
  platforms: PlatformRegistry;
  /** The BullMQ queues opened on `queues`. */
  openQueues: OpenQueues;
  locks: LockState;
  /** Bluesky's OAuth client, made on first use (api/bluesky/oauth/client.ts). */
  blueskyOAuthClient?: Promise<NodeOAuthClient>;
}

export function createAppContext(
  config: Config,
  overrides: { databaseUrl?: string; secret?: string; queue?: QueueBackendSettings } = {},
): AppContext {
  setLogLevel(config.logLevel);
  const databaseUrl = overrides.databaseUrl ?? config.databaseUrl;
  if (!databaseUrl) {
    throw new Error(
      "DATABASE_URL is not set. Run `npm start` to use the embedded PostgreSQL, or set DATABASE_URL to your own database.",
    );
  }
  const secret = overrides.secret ?? config.secret;
  if (!secret) {
    throw new Error("POSTMORE_SECRET is not set. `npm start` generates one in the data dir; otherwise set it (openssl rand -hex 32).");
  }
  const database = createDatabase(databaseUrl, { max: config.databasePoolMax });
  const ctx = assembleAppContext({
    config,
    database,
    queues: createQueueBackend(overrides.queue ?? queueBackendSettings(config, databaseUrl)),
    box: createSecretBox(secret),
  });
  logger("context").info({ queueBackend: ctx.queues.kind }, describeBackends({ ...config, databaseUrl }));
  return ctx;
}

/** The rest of a context, built from its config, database, queue backend and secret box. */
export function assembleAppContext(parts: Pick<AppContext, "config" | "database" | "queues" | "box">): AppContext {
  const { config, database } = parts;
  const outbound = createOutbound({ allowlist: config.outbound.allowlist });
  const ctx: AppContext = {
    ...parts,
    guards: createAuthGuards(config, database.pool),
    outbound,
    platforms: new Map(),
    openQueues: {},
    locks: { tails: new Map() },
  };
  // Bluesky's OAuth sessions live in this context's database (read only when an account is used).
  ctx.platforms = createPlatformRegistry({
    bluesky: { ...config.atproto, outbound, oauth: blueskyOAuthSessions(ctx) },
    // Every call to an instance goes through the guarded outbound layer.
    mastodon: {
      http: { timeoutMs: config.mastodon.timeoutMs, requestInit: { dispatcher: outbound.dispatcher } as RequestInit },
      media: { intervalMs: config.mastodon.mediaPollMs, timeoutMs: 60_000 },
      instances: instanceLimitsStore(database.db),
    },
  });
  return ctx;
}

// The web process builds its context lazily on first request; tests and the worker set it explicitly.
const holder = globalThis as unknown as { __postmoreContext?: AppContext };

export function setAppContext(ctx: AppContext | undefined): void {
  holder.__postmoreContext = ctx;
}

export function getAppContext(): AppContext {
  if (!holder.__postmoreContext) throw new Error("application context not initialised (startup did not run)");
  return holder.__postmoreContext;
}

export function hasAppContext(): boolean {
  return holder.__postmoreContext !== undefined;
}
