import type { AppContext } from "../../context";

/** Where an instance sends the browser back; PUBLIC_URL when set, else the origin the request came to. */
export function mastodonCallbackUrl(ctx: AppContext, req: Request): string {
  return new URL("/api/accounts/mastodon/callback", ctx.config.security.publicUrl ?? req.url).toString();
}
