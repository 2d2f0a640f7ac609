import type { AppContext } from "../context";
import { AppError } from "../errors";
import { userFromApiToken } from "./apiTokens";
import { SESSION_COOKIE, userFromSession } from "./sessions";
import type { PublicUser } from "./users";

export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.get("cookie");
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return decodeURIComponent(v.join("="));
  }
  return undefined;
}

/** Bearer API token or session cookie → the user, or undefined. */
export async function currentUser(ctx: AppContext, req: Request): Promise<PublicUser | undefined> {
  const authz = req.headers.get("authorization");
  if (authz) {
    const match = /^Bearer\s+(\S+)$/i.exec(authz);
    return match?.[1] ? userFromApiToken(ctx.database.db, match[1]) : undefined;
  }
  const session = readCookie(req, SESSION_COOKIE);
  return session ? userFromSession(ctx.database.db, session) : undefined;
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
