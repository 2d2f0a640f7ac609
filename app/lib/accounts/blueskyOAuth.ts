import { getHandle } from "@atproto/common-web";
import { OAuthCallbackError, type OAuthSession } from "@atproto/oauth-client-node";
import { resolveDidDocument } from "../api/bluesky/identity";
import { getBlueskyOAuthClient } from "../api/bluesky/oauth/client";
import { blueskyOAuthMode } from "../api/bluesky/oauth/metadata";
import type { AppContext } from "../context";
import { AppError } from "../errors";
import { logger } from "../logger";
import { retryAfterReconnect, storeAccount } from "./connectAccount";
import { toPublicAccount, type PublicAccount } from "./publicAccount";

/**
 * Connecting a Bluesky account through OAuth: the person names their handle, signs in on
 * their own server and approves PostMore; the server sends the browser back to our
 * callback with a code that becomes a session (DPoP-bound tokens, stored by the OAuth
 * client in bluesky_oauth_sessions). The account row itself holds no tokens then.
 */

const log = logger("bluesky-oauth");

/** What travels (server-side, in the sealed state row) from authorize to callback. */
interface AppState {
  userId: string;
}

/** The URL to send the person's browser to. */
export async function startBlueskyAuthorization(ctx: AppContext, userId: string, handle: string): Promise<string> {
  const client = await getBlueskyOAuthClient(ctx);
  const state: AppState = { userId };
  try {
    const url = await client.authorize(handle.trim().replace(/^@/, ""), { state: JSON.stringify(state) });
    return url.toString();
  } catch (err) {
    log.info({ err: (err as Error).message, userId }, "could not start a Bluesky OAuth sign-in");
    throw new AppError("unprocessable", `could not start signing in to Bluesky as ${handle}: ${(err as Error).message}`.slice(0, 300));
  }
}

export interface CompletedAuthorization {
  account: PublicAccount;
  created: boolean;
}

/**
 * The callback: trades the code for a session, then stores (or refreshes) the account for
 * the user who started it. `signedInUserId` is whoever the browser is signed in as: a
 * callback started by someone else (a link someone was lured to) connects nothing.
 */
export async function completeBlueskyAuthorization(
  ctx: AppContext,
  params: URLSearchParams,
  signedInUserId: string | undefined,
): Promise<CompletedAuthorization> {
  const client = await getBlueskyOAuthClient(ctx);
  let session: OAuthSession;
  let state: AppState;
  try {
    const result = await client.callback(params);
    session = result.session;
    state = JSON.parse(result.state ?? "{}") as AppState;
  } catch (err) {
    if (err instanceof OAuthCallbackError) {
      const reason = err.params.get("error_description") ?? err.params.get("error") ?? err.message;
      throw new AppError("unprocessable", `Bluesky did not connect the account: ${reason}`.slice(0, 300));
    }
    throw new AppError("unprocessable", `Bluesky did not connect the account: ${(err as Error).message}`.slice(0, 300));
  }
  if (!state.userId || state.userId !== signedInUserId) {
    // The session stays with its DID (its tokens are that account's own); no account is added.
    throw new AppError("forbidden", "this Bluesky sign-in was started by another PostMore user (or you signed out): start again from Accounts");
  }
  const info = await session.getTokenInfo(false);
  const settings = { ...ctx.config.atproto, outbound: ctx.outbound };
  const doc = await resolveDidDocument(session.did, settings);
  const handle = getHandle(doc) ?? session.did;
  const { account, created } = await storeAccount(
    ctx,
    { userId: state.userId, platform: "bluesky", credentialsKind: "oauth", remoteId: session.did, handle, instanceUrl: info.aud, accessExpiresAt: info.expiresAt ?? new Date(Date.now() + 60 * 60_000) },
    // No app password and no bearer tokens: the OAuth session row holds the credentials.
    { appPassword: "", accessJwt: "", refreshJwt: "" },
  );
  // Reconnecting (a needs_reauth account signing in again) publishes what failed meanwhile.
  const retried = created ? 0 : await retryAfterReconnect(ctx, account.id);
  log.info({ accountId: account.id, userId: state.userId, did: session.did, mode: blueskyOAuthMode(ctx.config), created, retried }, "account connected through OAuth");
  return { account: toPublicAccount(account), created };
}
