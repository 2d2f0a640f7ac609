import { createHash, randomBytes } from "node:crypto";
import { isIP } from "node:net";
import { and, eq, gt, lt } from "drizzle-orm";
import { MastoHttpError } from "masto";
import { retryAfterReconnect, storeAccount } from "../../accounts/connectAccount";
import { toPublicAccount, type PublicAccount } from "../../accounts/publicAccount";
import type { AppContext } from "../../context";
import { mastodonApps, mastodonConnectStates } from "../../db/schema";
import { AppError } from "../../errors";
import { logger } from "../../logger";
import { findOutboundError } from "../../net/errors";
import { PlatformError } from "../platformErrors";
import { normaliseInstanceUrl, type MastodonHttpSettings } from "./client";
import { fetchInstanceLimits } from "./instance";
import { instanceLimitsStore } from "./limitsStore";
import type { MastodonApp, MastodonAppStore } from "./oauth";
import { createMastodonService, DEFAULT_MEDIA_POLLING } from "./service";

/**
 * Connecting a Mastodon account (DESIGN.md v1.2): POST /api/accounts/mastodon/authorize
 * registers PostMore on the instance once, keeps the PKCE verifier server-side under the
 * hash of a random state, and answers the consent URL; the callback exchanges the code,
 * for the user who started it, and stores the token sealed. Reconnecting the same account
 * replaces its token and retries the posts that failed for want of it.
 */

const log = logger("mastodon-connect");

/** How long a started connection waits for its callback. */
export const CONNECT_STATE_TTL_MS = 15 * 60_000;

const hash = (state: string) => createHash("sha256").update(state).digest("hex");
const secretContext = (instanceUrl: string) => `mastodon_apps.client_secret:${instanceUrl}`;
const verifierContext = (stateHash: string) => `mastodon_connect_states.code_verifier:${stateHash}`;

export function mastodonHttp(ctx: AppContext): MastodonHttpSettings {
  return { timeoutMs: ctx.config.mastodon.timeoutMs, requestInit: { dispatcher: ctx.outbound.dispatcher } as RequestInit };
}

/** Registered apps, one per instance, with the client secret sealed. */
function appStore(ctx: AppContext): MastodonAppStore {
  const db = ctx.database.db;
  return {
    async get(instanceUrl) {
      const [row] = await db.select().from(mastodonApps).where(eq(mastodonApps.instanceUrl, instanceUrl)).limit(1);
      if (!row) return undefined;
      return { ...row, clientSecret: ctx.box.open(row.clientSecret, secretContext(instanceUrl)) } satisfies MastodonApp;
    },
    async put(app) {
      const values = { ...app, clientSecret: ctx.box.seal(app.clientSecret, secretContext(app.instanceUrl)) };
      await db.insert(mastodonApps).values(values).onConflictDoUpdate({ target: mastodonApps.instanceUrl, set: values });
    },
  };
}

function service(ctx: AppContext, redirectUri: string) {
  return createMastodonService(
    { http: mastodonHttp(ctx), media: DEFAULT_MEDIA_POLLING, registration: { clientName: "PostMore", redirectUri } },
    appStore(ctx),
  );
}

/** The instance's origin; http:// only for hosts OUTBOUND_ALLOWLIST lists (a test double, a LAN). */
function instanceUrlOf(ctx: AppContext, instance: string): string {
  let url: URL;
  try {
    url = new URL(normaliseInstanceUrl(instance));
  } catch {
    throw new AppError("bad_request", `instance ${JSON.stringify(instance)} is not a web address (for example https://mastodon.social)`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const allowed = ctx.outbound.allowlist.allowsHost(host, Number(url.port) || 80) || (isIP(host) !== 0 && ctx.outbound.allowlist.allowsAddress(host));
  if (url.protocol === "http:" && !allowed) {
    throw new AppError("bad_request", "the instance must be an https:// address");
  }
  return url.origin;
}

/** What a failed call to the instance means for the person connecting. */
function connectError(err: unknown, instanceUrl: string): unknown {
  if (err instanceof AppError) return err;
  const guard = findOutboundError(err);
  if (guard) return new AppError("unprocessable", `could not use the Mastodon server at ${instanceUrl}: ${guard.message}`);
  if (err instanceof PlatformError) {
    // No HTTP answer at all (no such host, nothing listening): the address is wrong, as far as the person can tell.
    if (err.kind === "transient" && !(err.cause instanceof MastoHttpError)) {
      return new AppError("unprocessable", `could not reach a Mastodon server at ${instanceUrl}: ${err.message}`);
    }
    if (err.kind === "transient" || err.kind === "rate_limited") return new AppError("upstream_unreachable", err.message);
    return new AppError("unprocessable", err.message);
  }
  return err;
}

/**
 * The instance's limits, read when an account connects (or reconnects) so that posts are
 * checked against them from the start. Not being able to read them does not stop the
 * connection: validation reads them again when it needs them.
 */
async function readInstanceLimits(ctx: AppContext, instanceUrl: string): Promise<void> {
  try {
    await instanceLimitsStore(ctx.database.db).put(instanceUrl, await fetchInstanceLimits(instanceUrl, mastodonHttp(ctx)), new Date());
  } catch (err) {
    log.warn({ err, instanceUrl }, "could not read the instance's limits while connecting");
  }
}

export async function startMastodonConnect(ctx: AppContext, userId: string, instance: string, redirectUri: string): Promise<{ authorizeUrl: string }> {
  const instanceUrl = instanceUrlOf(ctx, instance);
  const state = randomBytes(32).toString("base64url");
  let started;
  try {
    started = await service(ctx, redirectUri).startConnect(instanceUrl, state);
  } catch (err) {
    throw connectError(err, instanceUrl);
  }
  const stateHash = hash(state);
  const db = ctx.database.db;
  // Old, never-finished connections go as new ones start.
  await db.delete(mastodonConnectStates).where(lt(mastodonConnectStates.expiresAt, new Date()));
  await db.insert(mastodonConnectStates).values({
    stateHash,
    userId,
    instanceUrl,
    codeVerifier: ctx.box.seal(started.codeVerifier, verifierContext(stateHash)),
    expiresAt: new Date(Date.now() + CONNECT_STATE_TTL_MS),
  });
  return { authorizeUrl: started.authorizeUrl };
}

/**
 * The callback: the state (used once) says who started it and where; it must be the signed-in
 * user, or someone could have a victim approve a connection into the attacker's PostMore account.
 */
export async function finishMastodonConnect(
  ctx: AppContext,
  userId: string,
  input: { state: string; code: string },
  redirectUri: string,
): Promise<{ account: PublicAccount; created: boolean; retriedDeliveries: number }> {
  const stateHash = hash(input.state);
  const [row] = await ctx.database.db
    .delete(mastodonConnectStates)
    .where(and(eq(mastodonConnectStates.stateHash, stateHash), gt(mastodonConnectStates.expiresAt, new Date())))
    .returning();
  if (!row || row.userId !== userId) {
    throw new AppError("bad_request", "this connection was not started here, is already finished, or expired: start connecting again");
  }
  const codeVerifier = ctx.box.open(row.codeVerifier, verifierContext(stateHash));
  let identity;
  try {
    identity = await service(ctx, redirectUri).finishConnect(row.instanceUrl, input.code, codeVerifier);
  } catch (err) {
    throw connectError(err, row.instanceUrl);
  }
  await readInstanceLimits(ctx, row.instanceUrl);
  const { account, created } = await storeAccount(
    ctx,
    {
      userId,
      platform: "mastodon",
      remoteId: identity.remoteAccountId,
      handle: identity.handle,
      instanceUrl: row.instanceUrl,
      accessExpiresAt: null,
      credentialsKind: "oauth",
    },
    { appPassword: "", accessJwt: "", refreshJwt: "", accessToken: identity.accessToken },
  );
  const retried = created ? 0 : await retryAfterReconnect(ctx, account.id);
  log.info({ accountId: account.id, userId, instanceUrl: row.instanceUrl, created, retried }, created ? "account connected" : "account reconnected");
  return { account: toPublicAccount(account), created, retriedDeliveries: retried };
}
