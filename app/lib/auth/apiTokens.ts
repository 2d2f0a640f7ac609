import type { Db } from "../db/client";
import { findUserByTokenHash, insertApiToken, revokeApiToken as revokeRow } from "../db/queries/apiTokens";
import { findUserByEmail } from "../db/queries/users";
import { AppError } from "../errors";
import { hashOpaqueToken, newOpaqueToken } from "./secrets";
import { toPublicUser, type PublicUser } from "./users";

/** Issues a personal API token. The plain token is returned once and never stored. */
export async function createApiToken(
  db: Db,
  email: string,
  name = "cli",
): Promise<{ id: string; token: string }> {
  const user = await findUserByEmail(db, email.trim());
  if (!user) throw new AppError("not_found", `no user with email ${email}`);
  const { token, hash } = newOpaqueToken("pmt_");
  const { id } = await insertApiToken(db, { userId: user.id, name, tokenHash: hash });
  return { id, token };
}

export async function revokeApiToken(db: Db, userId: string, tokenId: string): Promise<void> {
  if (!(await revokeRow(db, userId, tokenId))) throw new AppError("not_found", "API token not found");
}

export async function userFromApiToken(db: Db, token: string): Promise<PublicUser | undefined> {
  const user = await findUserByTokenHash(db, hashOpaqueToken(token));
  return user ? toPublicUser(user) : undefined;
}
