import { currentCaller, type Caller } from "../auth/authenticate";
import type { AppContext } from "../context";

/**
 * The user an API token names and its scope, checked exactly as a REST request carrying it would be
 * (revoked or unknown tokens, and whatever else the bearer path enforces): for stdio, which
 * has no HTTP request of its own.
 */
export function userForApiToken(ctx: AppContext, token: string): Promise<Caller | undefined> {
  return currentCaller(ctx, new Request("http://mcp.stdio/", { headers: { authorization: `Bearer ${token}` } }));
}
