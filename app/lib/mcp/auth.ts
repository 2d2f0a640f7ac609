import { currentUser } from "../auth/authenticate";
import type { PublicUser } from "../auth/users";
import type { AppContext } from "../context";

/**
 * The user an API token names, checked exactly as a REST request carrying it would be
 * (revoked or unknown tokens, and whatever else the bearer path enforces): for stdio, which
 * has no HTTP request of its own.
 */
export function userForApiToken(ctx: AppContext, token: string): Promise<PublicUser | undefined> {
  return currentUser(ctx, new Request("http://mcp.stdio/", { headers: { authorization: `Bearer ${token}` } }));
}
