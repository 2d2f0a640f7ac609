import { buildAtprotoLoopbackClientId, type OAuthClientMetadataInput } from "@atproto/oauth-client-node";
import type { Config } from "../../../config";

/**
 * What PostMore asks a Bluesky account for: writing posts (create, and update because
 * exactly-once publishing is a create-only putRecord), their reply and quote controls
 * (threadgate, postgate), and uploading images. branch video: service-auth tokens for Bluesky's
 * video service (asking the account's upload limits; letting the service put the processed
 * video on the account's PDS). Accounts connected before need reconnecting to post videos.
 */
export const BLUESKY_OAUTH_SCOPE = [
  "atproto",
  "repo:app.bsky.feed.post?action=create&action=update",
  "repo:app.bsky.feed.threadgate?action=create&action=update",
  "repo:app.bsky.feed.postgate?action=create&action=update",
  "blob:*/*",
  "rpc:app.bsky.video.getUploadLimits?aud=*",
  "rpc:com.atproto.repo.uploadBlob?aud=*",
].join(" ");

export const CALLBACK_PATH = "/api/accounts/bluesky/callback";
export const CLIENT_METADATA_PATH = "/oauth-client-metadata.json";
export const JWKS_PATH = "/oauth/jwks.json";

/**
 * "confidential": an https PUBLIC_URL serves the client metadata and keys, tokens are bound
 * to PostMore's signing key, sessions last as long as the server allows.
 * "loopback": no https address, so the development ("loopback") public client: the server
 * caps its sessions at two weeks and the browser must run on the same machine.
 */
export type BlueskyOAuthMode = "confidential" | "loopback";

export function blueskyOAuthMode(config: Config): BlueskyOAuthMode {
  return config.security.publicUrl?.startsWith("https://") ? "confidential" : "loopback";
}

/** Where the authorization server sends the browser back to. */
export function callbackUrl(config: Config): string {
  if (blueskyOAuthMode(config) === "confidential") return `${config.security.publicUrl}${CALLBACK_PATH}`;
  // Loopback clients must redirect to 127.0.0.1 (RFC 8252); the port is the web app's.
  const port = config.security.publicUrl ? new URL(config.security.publicUrl).port || "80" : String(config.port);
  return `http://127.0.0.1:${port}${CALLBACK_PATH}`;
}

export function clientMetadata(config: Config): OAuthClientMetadataInput {
  const redirect = callbackUrl(config);
  if (blueskyOAuthMode(config) === "loopback") {
    return {
      client_id: buildAtprotoLoopbackClientId({ scope: BLUESKY_OAUTH_SCOPE, redirect_uris: [redirect] }),
      redirect_uris: [redirect as `http://127.0.0.1:${string}`],
      scope: BLUESKY_OAUTH_SCOPE,
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
      application_type: "native",
      dpop_bound_access_tokens: true,
    };
  }
  const base = config.security.publicUrl as string;
  return {
    client_id: `${base}${CLIENT_METADATA_PATH}`,
    client_name: "PostMore",
    client_uri: base,
    redirect_uris: [redirect as `https://${string}`],
    scope: BLUESKY_OAUTH_SCOPE,
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    application_type: "web",
    token_endpoint_auth_method: "private_key_jwt",
    token_endpoint_auth_signing_alg: "ES256",
    dpop_bound_access_tokens: true,
    jwks_uri: `${base}${JWKS_PATH}`,
  };
}
