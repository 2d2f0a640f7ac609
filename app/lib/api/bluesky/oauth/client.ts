import { NodeOAuthClient, type HandleResolver } from "@atproto/oauth-client-node";
import { withAdvisoryLock } from "../../../db/advisoryLock";
import type { AppContext } from "../../../context";
import { logger } from "../../../logger";
import { JSON_MAX_BYTES, type Outbound } from "../../../net/outbound";
import { resolveHandle } from "../identity";
import { loadSigningKey } from "./keys";
import { blueskyOAuthMode, clientMetadata } from "./metadata";
import { createSessionStore, createStateStore } from "./stores";

const log = logger("bluesky-oauth");

/**
 * The library's fetch, through the guarded outbound layer. The library hands over Request
 * objects (DPoP proofs, form bodies), so method, headers and body are carried over too.
 */
export function guardedFetch(outbound: Outbound, timeoutMs: number): typeof fetch {
  return async (input, init) => {
    if (!(input instanceof Request)) return outbound.fetch(input as string | URL, { ...init, timeoutMs, maxBytes: JSON_MAX_BYTES });
    const body = input.body ? await input.arrayBuffer() : undefined;
    return outbound.fetch(input.url, {
      method: input.method,
      headers: input.headers,
      body,
      redirect: input.redirect,
      ...init,
      timeoutMs,
      maxBytes: JSON_MAX_BYTES,
    });
  };
}

/** Handles resolve the way the app-password path resolves them (DNS, then HTTPS, then the configured resolver). */
function handleResolverFor(ctx: AppContext): HandleResolver {
  const settings = { ...ctx.config.atproto, outbound: ctx.outbound };
  return {
    async resolve(handle) {
      const did = await resolveHandle(handle, settings);
      return (did ?? null) as Awaited<ReturnType<HandleResolver["resolve"]>>;
    },
  };
}

/** The lock key the library asks for, in our namespace of advisory locks (never an account's own key). */
const lockKey = (name: string) => `bluesky-oauth:${name}`;

async function createClient(ctx: AppContext): Promise<NodeOAuthClient> {
  const fetch = guardedFetch(ctx.outbound, ctx.config.atproto.timeoutMs);
  const mode = blueskyOAuthMode(ctx.config);
  const client = new NodeOAuthClient({
    clientMetadata: clientMetadata(ctx.config),
    keyset: mode === "confidential" ? [await loadSigningKey(ctx.config)] : undefined,
    stateStore: createStateStore(ctx),
    sessionStore: createSessionStore(ctx),
    fetch,
    handleResolver: handleResolverFor(ctx),
    plcDirectoryUrl: ctx.config.atproto.plcUrl,
    allowHttp: ctx.config.blueskyOAuth.allowHttp,
    // Refresh tokens are single-use: a refresh in the web and one in the worker at the same
    // moment would revoke the session. The same PostgreSQL advisory lock as the accounts'.
    requestLock: (name, fn) => withAdvisoryLock(ctx, lockKey(name), async () => fn()),
  });
  log.info({ mode, clientId: client.clientMetadata.client_id }, "Bluesky OAuth client ready");
  return client;
}

/** The context's client, made on first use (its caches and stores belong to that context). */
export function getBlueskyOAuthClient(ctx: AppContext): Promise<NodeOAuthClient> {
  if (!ctx.blueskyOAuthClient) {
    const client = createClient(ctx);
    ctx.blueskyOAuthClient = client;
    // A failed start (an unreadable key) is retried by the next caller rather than kept.
    client.catch(() => {
      if (ctx.blueskyOAuthClient === client) ctx.blueskyOAuthClient = undefined;
    });
  }
  return ctx.blueskyOAuthClient;
}
