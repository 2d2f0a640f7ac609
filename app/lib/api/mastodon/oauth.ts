import { createHash, randomBytes } from "node:crypto";
import type { mastodon } from "masto";
import { oauthClient, restClient, type MastodonHttpSettings } from "./client";
import { classifyMastodonError } from "./errors";

/**
 * Connecting an account on any instance: register PostMore there once (POST /api/v1/apps),
 * send the person to /oauth/authorize with a PKCE S256 challenge, exchange the code for a
 * token. Mastodon tokens do not expire; a revoked one answers 401 and means reconnecting.
 */

/** Granular scopes: read the account and its statuses, write statuses and media. */
export const MASTODON_SCOPES = "read:accounts read:statuses write:media write:statuses";

export interface MastodonApp {
  instanceUrl: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  scopes: string;
}

/** Where registered apps are kept, one per instance (a table later, a Map in tests). */
export interface MastodonAppStore {
  get(instanceUrl: string): Promise<MastodonApp | undefined>;
  put(app: MastodonApp): Promise<void>;
}

export interface AppRegistration {
  clientName: string;
  redirectUri: string;
  website?: string;
}

export async function registerApp(instanceUrl: string, registration: AppRegistration, http: MastodonHttpSettings): Promise<MastodonApp> {
  try {
    const app = await restClient(instanceUrl, http).v1.apps.create({
      clientName: registration.clientName,
      redirectUris: registration.redirectUri,
      scopes: MASTODON_SCOPES,
      website: registration.website ?? null,
    });
    if (!app.clientId || !app.clientSecret) throw new TypeError("the instance registered the app without client credentials");
    return { instanceUrl, clientId: app.clientId, clientSecret: app.clientSecret, redirectUri: registration.redirectUri, scopes: MASTODON_SCOPES };
  } catch (err) {
    throw classifyMastodonError(err, `registering PostMore on ${instanceUrl}`);
  }
}

/**
 * The stored app for the instance, registered on first use. A changed redirect URI (a new
 * PUBLIC_URL) needs a new registration, since Mastodon checks it exactly.
 */
export async function ensureApp(store: MastodonAppStore, instanceUrl: string, registration: AppRegistration, http: MastodonHttpSettings): Promise<MastodonApp> {
  const known = await store.get(instanceUrl);
  if (known && known.redirectUri === registration.redirectUri && known.scopes === MASTODON_SCOPES) return known;
  const app = await registerApp(instanceUrl, registration, http);
  await store.put(app);
  return app;
}

export interface Pkce {
  verifier: string;
  challenge: string;
}

/** RFC 7636: 32 random bytes as the verifier, its SHA-256 as the S256 challenge. */
export function createPkce(): Pkce {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

export function authorizeUrl(app: MastodonApp, input: { state: string; codeChallenge: string }): string {
  const url = new URL("/oauth/authorize", app.instanceUrl);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: app.clientId,
    redirect_uri: app.redirectUri,
    scope: app.scopes,
    state: input.state,
    code_challenge: input.codeChallenge,
    code_challenge_method: "S256",
  }).toString();
  return url.toString();
}

/** The access token for the code the instance sent to the callback. */
export async function exchangeCode(app: MastodonApp, input: { code: string; codeVerifier: string }, http: MastodonHttpSettings): Promise<string> {
  // masto 7 does not type PKCE's code_verifier; it sends every field it is given (snake_cased).
  const params = {
    grantType: "authorization_code",
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    redirectUri: app.redirectUri,
    code: input.code,
    codeVerifier: input.codeVerifier,
    scope: app.scopes,
  } as mastodon.oauth.CreateTokenParams;
  try {
    const token = await oauthClient(app.instanceUrl, http).token.create(params);
    return token.accessToken;
  } catch (err) {
    throw classifyMastodonError(err, "finishing the connection");
  }
}

/** Revokes the token when an account is disconnected; a caller may log a failure and disconnect anyway. */
export async function revokeToken(app: MastodonApp, accessToken: string, http: MastodonHttpSettings): Promise<void> {
  try {
    await oauthClient(app.instanceUrl, http).revoke({ clientId: app.clientId, clientSecret: app.clientSecret, token: accessToken });
  } catch (err) {
    throw classifyMastodonError(err, "revoking the access token");
  }
}
