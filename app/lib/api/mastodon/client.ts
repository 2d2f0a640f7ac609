import { createOAuthAPIClient, createRestAPIClient, type mastodon } from "masto";

/** How every call to an instance is made; `requestInit` lets the app pass a guarded dispatcher. */
export interface MastodonHttpSettings {
  /** Per request, in milliseconds. */
  timeoutMs: number;
  requestInit?: Omit<RequestInit, "body" | "method">;
}

/**
 * `https://host` (or `http://` for tests), without path, query or trailing slash; a bare
 * host name gets https. Throws a TypeError on anything else, which callers turn into a
 * message for the person typing the URL. Whether an http:// or private host may be reached
 * is the outbound guard's decision, not this function's.
 */
export function normaliseInstanceUrl(input: string): string {
  const trimmed = input.trim();
  const url = new URL(/^[a-z]+:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`);
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new TypeError(`not a web address: ${input}`);
  if (url.username || url.password) throw new TypeError(`an instance URL carries no credentials: ${input}`);
  return url.origin;
}

export function restClient(instanceUrl: string, http: MastodonHttpSettings, accessToken?: string): mastodon.rest.Client {
  return createRestAPIClient({ url: instanceUrl, accessToken, timeout: http.timeoutMs, requestInit: http.requestInit, log: "error" });
}

export function oauthClient(instanceUrl: string, http: MastodonHttpSettings): mastodon.oauth.Client {
  return createOAuthAPIClient({ url: instanceUrl, timeout: http.timeoutMs, requestInit: http.requestInit, log: "error" });
}
