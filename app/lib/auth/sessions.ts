import type { AppContext } from "../context";
import type { Db } from "../db/client";
import {
  deleteExpiredSessions,
  deleteSession,
  deleteUserSessions,
  findSessionUser,
  insertSession,
  touchSession,
} from "../db/queries/sessions";
import { findUserByEmail, findUserById, updatePasswordHash } from "../db/queries/users";
import { AppError } from "../errors";
import { hashOpaqueToken, newOpaqueToken } from "./secrets";
import { toPublicUser, type PublicUser } from "./users";

export const SESSION_DAYS = 30;
/** A session's last-seen time is written at most this often (not on every request). */
const TOUCH_EVERY_MS = 60_000;

const idleSince = (ctx: AppContext, now: Date) => new Date(now.getTime() - ctx.config.security.sessionIdleHours * 3600_000);

/**
 * Checks the password and opens a browser session. The returned token goes into the cookie
 * only. Failures count per email and per client address; after 5 the key is locked out
 * (429 with Retry-After, before any password check) for a wait that doubles each time.
 */
export async function signIn(
  ctx: AppContext,
  input: { email: string; password: string; address: string },
): Promise<{ user: PublicUser; sessionToken: string; expiresAt: Date }> {
  const db = ctx.database.db;
  const email = input.email.trim().toLowerCase();
  const keys = [`email:${email}`, `addr:${input.address}`];
  await ctx.guards.signIn.check(keys);
  const user = await findUserByEmail(db, email);
  // Verify against a dummy hash when the user is unknown, so timing does not reveal which emails exist.
  const ok = await ctx.guards.passwords.verify(user?.passwordHash ?? DUMMY_HASH, input.password);
  if (!user || !ok) {
    await ctx.guards.signIn.failed(keys);
    throw new AppError("unauthenticated", "wrong email or password");
  }
  await ctx.guards.signIn.succeeded(keys[0]!);
  return { user: toPublicUser(user), ...(await openSession(db, user.id)) };
}

async function openSession(db: Db, userId: string): Promise<{ sessionToken: string; expiresAt: Date }> {
  const { token, hash } = newOpaqueToken("pms_");
  const expiresAt = new Date(Date.now() + SESSION_DAYS * 24 * 3600 * 1000);
  await insertSession(db, { id: hash, userId, expiresAt });
  return { sessionToken: token, expiresAt };
}

export async function signOut(db: Db, sessionToken: string): Promise<void> {
  await deleteSession(db, hashOpaqueToken(sessionToken));
}

/** Ends every session of the user, this one included. API tokens stay (they are revoked one by one). */
export async function signOutEverywhere(db: Db, userId: string): Promise<number> {
  return deleteUserSessions(db, userId);
}

/** The user of a live session: within the absolute 30 days and not idle too long. */
export async function userFromSession(ctx: AppContext, sessionToken: string): Promise<PublicUser | undefined> {
  const db = ctx.database.db;
  const id = hashOpaqueToken(sessionToken);
  const now = new Date();
  const found = await findSessionUser(db, id, now, idleSince(ctx, now));
  if (!found) return undefined;
  if (now.getTime() - found.lastSeenAt.getTime() > TOUCH_EVERY_MS) await touchSession(db, id, now);
  return toPublicUser(found.user);
}

/**
 * Changes a password after checking the current one, and ends the user's other sessions
 * (the caller's own session, when it has one, stays signed in).
 */
export async function changePassword(
  ctx: AppContext,
  input: { userId: string; currentPassword: string; newPassword: string; keepSessionToken?: string },
): Promise<{ endedSessions: number }> {
  const db = ctx.database.db;
  const user = await findUserById(db, input.userId);
  if (!user) throw new AppError("unauthenticated", "sign in again");
  if (!(await ctx.guards.passwords.verify(user.passwordHash, input.currentPassword))) {
    throw new AppError("forbidden", "the current password is wrong");
  }
  return { endedSessions: await setPassword(db, user.id, await ctx.guards.passwords.hash(input.newPassword), input.keepSessionToken) };
}

/** Stores a new password hash and ends the user's sessions except `keepSessionToken`'s (CLI: all of them). */
export async function setPassword(db: Db, userId: string, passwordHash: string, keepSessionToken?: string): Promise<number> {
  await updatePasswordHash(db, userId, passwordHash);
  return deleteUserSessions(db, userId, keepSessionToken ? hashOpaqueToken(keepSessionToken) : undefined);
}

export async function purgeExpiredSessions(ctx: AppContext, now = new Date()): Promise<number> {
  return deleteExpiredSessions(ctx.database.db, now, idleSince(ctx, now));
}

// argon2id hash of a random string nobody knows; only used to spend equal time on unknown emails.
const DUMMY_HASH =
  "$argon2id$v=19$m=19456,t=2,p=1$4X2NFD99GkY8vNSgzCPpzw$kfN3UETEkVHD9DIPfJVd1m/7tuYjLw+mWsPDXZJ4ZLo";
