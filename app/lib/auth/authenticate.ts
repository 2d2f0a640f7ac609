import type { AppContext } from "../context";
import { AppError } from "../errors";
import type { ApiTokenScope } from "../db/queries/apiTokens";
import { isUnsafeMethod, requireSameOrigin } from "../http/origin";
import { userFromApiToken } from "./apiTokens";
import { readSessionCookie } from "./cookies";
import { userFromSession } from "./sessions";
import type { PublicUser } from "./users";

const BEARER = /^Bearer\s+(\S+)$/i;

/** Who is calling and what they may do: a session may do everything its user may; a token, what its scope allows. */
export interface Caller {
  user: PublicUser;
  scope: ApiTokenScope;
}

// The caller of a request, found once: the Idempotency-Key layer (http/idempotency.ts) and the
// handler both ask, and a token's per-minute allowance must be charged once per request.
const callers = new WeakMap<Request, Promise<Caller | undefined>>();

/**
 * Bearer API token or session cookie → the caller, or undefined, whatever the method. A
 * cookie-authenticated state-changing request must come from the app's own origin (403
 * otherwise); a token is held to its per-minute limit (429).
 */
export function currentCaller(ctx: AppContext, req: Request): Promise<Caller | undefined> {
  let found = callers.get(req);
  if (!found) callers.set(req, (found = findCaller(ctx, req)));
  return found;
}

async function findCaller(ctx: AppContext, req: Request): Promise<Caller | undefined> {
  const authz = req.headers.get("authorization");
  if (authz) {
    const token = BEARER.exec(authz)?.[1];
    const found = token ? await userFromApiToken(ctx.database.db, token) : undefined;
    if (!found) return undefined;
    await ctx.guards.apiToken(found.tokenId);
    return { user: found.user, scope: found.scope };
  }
  const session = readSessionCookie(ctx.config, req.headers.get("cookie"));
  if (!session) return undefined;
  requireSameOrigin(req, ctx.config.security.publicUrl);
  const user = await userFromSession(ctx, session);
  return user && { user, scope: "write" };
}

/** A read-only token may not change anything: 403 insufficient_scope. */
export function requireWriteScope(caller: Caller): void {
  if (caller.scope !== "write") {
    throw new AppError("insufficient_scope", "this API token is read-only: create a read-write token to change things");
  }
}

/**
 * The user of a request, or undefined. Every route authenticates through here, so scopes hold
 * on every route: a read-only token gets 403 insufficient_scope on any unsafe method.
 */
export async function currentUser(ctx: AppContext, req: Request): Promise<PublicUser | undefined> {
  const caller = await currentCaller(ctx, req);
  if (caller && isUnsafeMethod(req.method)) requireWriteScope(caller);
  return caller?.user;
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
