import type { AppContext } from "../../context";

/**
 * The origin the browser is using: PUBLIC_URL when set (set it in production), else the
 * request's Host header. Not `req.url`: behind `next start` that names the server's own idea
 * of itself (localhost), and a callback on another host would arrive without the session cookie.
 */
export function browserOrigin(ctx: AppContext, req: Request): string {
  if (ctx.config.security.publicUrl) return ctx.config.security.publicUrl;
  const url = new URL(req.url);
  const host = req.headers.get("host");
  return host ? `${url.protocol}//${host}` : url.origin;
}

/** Where an instance sends the browser back after consent. */
export function mastodonCallbackUrl(ctx: AppContext, req: Request): string {
  return new URL("/api/accounts/mastodon/callback", browserOrigin(ctx, req)).toString();
}
