import type { AppContext } from "../context";
import { AppError } from "../errors";
import { requireSameOrigin } from "../http/origin";
import { userFromApiToken } from "./apiTokens";
import { readSessionCookie } from "./cookies";
import { userFromSession } from "./sessions";
import type { PublicUser } from "./users";

const BEARER = /^Bearer\s+(\S+)$/i;

/**
 * Bearer API token or session cookie → the user, or undefined. A cookie-authenticated
 * state-changing request must come from the app's own origin (403 otherwise); a token is
 * held to its per-minute limit (429).
 */
export async function currentUser(ctx: AppContext, req: Request): Promise<PublicUser | undefined> {
  const authz = req.headers.get("authorization");
  if (authz) {
    const token = BEARER.exec(authz)?.[1];
    const found = token ? await userFromApiToken(ctx.database.db, token) : undefined;
    if (!found) return undefined;
    await ctx.guards.apiToken(found.tokenId);
    return found.user;
  }
  const session = readSessionCookie(ctx.config, req.headers.get("cookie"));
  if (!session) return undefined;
  requireSameOrigin(req, ctx.config.security.publicUrl);
  return userFromSession(ctx, session);
}

export async function requireUser(ctx: AppContext, req: Request): Promise<PublicUser> {
  const user = await currentUser(ctx, req);
  if (!user) throw new AppError("unauthenticated", "sign in or send Authorization: Bearer <api token>");
  return user;
}

export async function requireAdmin(ctx: AppContext, req: Request): Promise<PublicUser> {
  const user = await requireUser(ctx, req);
  if (user.role !== "admin") throw new AppError("forbidden", "admins only");
  return user;
}

/** The caller's own session token (cookie), to keep it alive when ending the others. */
export const sessionTokenOf = (ctx: AppContext, req: Request): string | undefined =>
  readSessionCookie(ctx.config, req.headers.get("cookie"));
