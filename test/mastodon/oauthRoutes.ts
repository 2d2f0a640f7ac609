import { createHash, randomBytes } from "node:crypto";
import { applicationJson } from "./entities";
import type { HandlerContext } from "./mastodonDouble";
import { route, type Route } from "./route";

/**
 * App registration and OAuth 2 (authorization code with PKCE S256, as Mastodon 4.3+ does).
 * `/oauth/authorize` approves at once for the configured test user, as if that person had
 * signed in and pressed "Authorize".
 */

const KNOWN_SCOPES = /^(read|write|follow|push|profile|admin:\w+)(:[\w]+)?$/;

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function secret(): string {
  return randomBytes(24).toString("base64url");
}

function createApp(ctx: HandlerContext): void {
  const { body, double, reply } = ctx;
  const name = text(body.client_name).trim();
  const rawUris = Array.isArray(body.redirect_uris) ? body.redirect_uris.map(String) : text(body.redirect_uris).split(/\s+/);
  const redirectUris = rawUris.filter((u) => u !== "");
  const scopes = (text(body.scopes) || "read").split(/\s+/);
  if (name === "") return reply.error(422, "Validation failed: Application name can't be blank");
  if (redirectUris.length === 0 || !redirectUris.every(isRedirectUri)) {
    return reply.error(422, "Validation failed: Redirect URI must be an absolute URI.");
  }
  if (!scopes.every((s) => KNOWN_SCOPES.test(s))) return reply.error(422, "Validation failed: Scopes are invalid");
  const website = text(body.website) || null;
  const app = { id: double.newId(), name, website, scopes, redirectUris, clientId: secret(), clientSecret: secret() };
  double.apps.set(app.clientId, app);
  reply.json(200, applicationJson(app));
}

function isRedirectUri(uri: string): boolean {
  if (uri === "urn:ietf:wg:oauth:2.0:oob") return true;
  try {
    return new URL(uri).protocol.length > 1;
  } catch {
    return false;
  }
}

function authorizeGet(ctx: HandlerContext): void {
  const { url, double, reply } = ctx;
  const q = url.searchParams;
  const app = double.apps.get(q.get("client_id") ?? "");
  const redirectUri = q.get("redirect_uri") ?? "";
  if (!app) return reply.error(401, "invalid_client", "Client authentication failed due to unknown client.");
  if (!app.redirectUris.includes(redirectUri)) {
    return reply.error(400, "invalid_redirect_uri", "The requested redirect uri is malformed or doesn't match client redirect URI.");
  }
  if (q.get("response_type") !== "code") return reply.error(400, "unsupported_response_type", "The authorization server does not support this response type.");
  const scopes = (q.get("scope") || "read").split(/\s+/);
  if (!scopes.every((s) => app.scopes.includes(s))) return reply.error(400, "invalid_scope", "The requested scope is invalid, unknown, or malformed.");
  const challenge = q.get("code_challenge");
  if (challenge !== null && q.get("code_challenge_method") !== "S256") {
    return reply.error(400, "invalid_request", "Only the S256 code challenge method is supported.");
  }
  const code = secret();
  double.codes.set(code, { code, appId: app.id, userId: double.user.id, redirectUri, scopes, challenge, used: false });
  const target = new URL(redirectUri);
  target.searchParams.set("code", code);
  const state = q.get("state");
  if (state !== null) target.searchParams.set("state", state);
  reply.redirect(target.toString());
}

function token(ctx: HandlerContext): void {
  const { body, double, reply } = ctx;
  const app = double.apps.get(text(body.client_id));
  if (!app || app.clientSecret !== text(body.client_secret)) {
    return reply.error(401, "invalid_client", "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.");
  }
  if (text(body.grant_type) !== "authorization_code") {
    return reply.error(400, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server.");
  }
  const code = double.codes.get(text(body.code));
  const invalidGrant = () =>
    reply.error(400, "invalid_grant", "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.");
  if (!code || code.used || code.appId !== app.id || code.redirectUri !== text(body.redirect_uri)) return invalidGrant();
  if (code.challenge !== null) {
    const verifier = text(body.code_verifier);
    if (createHash("sha256").update(verifier).digest("base64url") !== code.challenge) return invalidGrant();
  }
  code.used = true;
  const accessToken = secret();
  const createdAt = double.now();
  double.tokens.set(accessToken, { token: accessToken, userId: code.userId, appId: app.id, scopes: code.scopes, createdAt, revoked: false });
  reply.json(200, { access_token: accessToken, token_type: "Bearer", scope: code.scopes.join(" "), created_at: Math.floor(createdAt / 1000) });
}

function revoke(ctx: HandlerContext): void {
  const { body, double, reply } = ctx;
  const app = double.apps.get(text(body.client_id));
  if (!app || app.clientSecret !== text(body.client_secret)) {
    return reply.error(403, "unauthorized_client", "You are not authorized to revoke this token");
  }
  const record = double.tokens.get(text(body.token));
  if (record && record.appId === app.id) record.revoked = true;
  // RFC 7009: unknown tokens are answered like revoked ones.
  reply.empty(200);
}

export function oauthRoutes(): Route[] {
  return [
    route("POST", "/api/v1/apps", createApp),
    route("GET", "/oauth/authorize", authorizeGet),
    route("POST", "/oauth/token", token),
    route("POST", "/oauth/revoke", revoke),
  ];
}
