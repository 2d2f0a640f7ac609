import type { Db } from "../db/client";
import { deleteSession, findUserBySessionId, insertSession } from "../db/queries/sessions";
import { findUserByEmail } from "../db/queries/users";
import { AppError } from "../errors";
import { verifyPassword } from "./password";
import { hashOpaqueToken, newOpaqueToken } from "./secrets";
import { toPublicUser, type PublicUser } from "./users";

export const SESSION_COOKIE = "postmore_session";
export const SESSION_DAYS = 30;

/** Checks the password and opens a browser session. The returned token goes into the cookie only. */
export async function signIn(
  db: Db,
  email: string,
  password: string,
): Promise<{ user: PublicUser; sessionToken: string; expiresAt: Date }> {
  const user = await findUserByEmail(db, email.trim());
  // Verify against a dummy hash when the user is unknown, so timing does not reveal which emails exist.
  const ok = await verifyPassword(user?.passwordHash ?? DUMMY_HASH, password);
  if (!user || !ok) throw new AppError("unauthenticated", "wrong email or password");
  const { token, hash } = newOpaqueToken("pms_");
  const expiresAt = new Date(Date.now() + SESSION_DAYS * 24 * 3600 * 1000);
  await insertSession(db, { id: hash, userId: user.id, expiresAt });
  return { user: toPublicUser(user), sessionToken: token, expiresAt };
}

export async function signOut(db: Db, sessionToken: string): Promise<void> {
  await deleteSession(db, hashOpaqueToken(sessionToken));
}

export async function userFromSession(db: Db, sessionToken: string): Promise<PublicUser | undefined> {
  const user = await findUserBySessionId(db, hashOpaqueToken(sessionToken), new Date());
  return user ? toPublicUser(user) : undefined;
}

// argon2id hash of a random string nobody knows; only used to spend equal time on unknown emails.
const DUMMY_HASH =
  "$argon2id$v=19$m=19456,t=2,p=1$4X2NFD99GkY8vNSgzCPpzw$kfN3UETEkVHD9DIPfJVd1m/7tuYjLw+mWsPDXZJ4ZLo";
