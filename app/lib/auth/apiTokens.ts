import type { Db } from "../db/client";
import {
  findUserByTokenHash,
  insertApiToken,
  listApiTokens as listRows,
  revokeApiToken as revokeRow,
  touchApiToken,
  type ApiTokenRow,
  type ApiTokenScope,
} from "../db/queries/apiTokens";
import { findUserByEmail } from "../db/queries/users";
import { AppError } from "../errors";
import { hashOpaqueToken, newOpaqueToken } from "./secrets";
import { toPublicUser, type PublicUser } from "./users";

/** What the API and the CLI show of a token (never the token itself, nor its hash). */
export interface PublicApiToken {
  id: string;
  name: string;
  /** read: GET only; write: every method. */
  scope: ApiTokenScope;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

export const toPublicApiToken = (t: ApiTokenRow): PublicApiToken => ({
  id: t.id,
  name: t.name,
  scope: t.scope,
  createdAt: t.createdAt.toISOString(),
  expiresAt: t.expiresAt?.toISOString() ?? null,
  lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
});

/** `lastUsedAt` is written at most this often per token (not on every request). */
const TOUCH_EVERY_MS = 60_000;

/** Issues a personal API token. The plain token is returned once and never stored. */
export async function createUserApiToken(
  db: Db,
  userId: string,
  input: { name: string; expiresAt?: Date | null; scope?: ApiTokenScope },
): Promise<{ apiToken: PublicApiToken; token: string }> {
  if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) throw new AppError("unprocessable", "expiresAt must be in the future");
  const { token, hash } = newOpaqueToken("pmt_");
  const row = await insertApiToken(db, { userId, name: input.name, tokenHash: hash, expiresAt: input.expiresAt ?? null, scope: input.scope ?? "write" });
  return { apiToken: toPublicApiToken(row), token };
}

/** The same, for a user named by email (CLI and tests). */
export async function createApiToken(
  db: Db,
  email: string,
  name = "cli",
  expiresAt?: Date | null,
  scope: ApiTokenScope = "write",
): Promise<{ id: string; token: string }> {
  const user = await findUserByEmail(db, email.trim());
  if (!user) throw new AppError("not_found", `no user with email ${email}`);
  const { apiToken, token } = await createUserApiToken(db, user.id, { name, expiresAt, scope });
  return { id: apiToken.id, token };
}

export async function listApiTokens(db: Db, userId: string): Promise<PublicApiToken[]> {
  return (await listRows(db, userId)).map(toPublicApiToken);
}

export async function revokeApiToken(db: Db, userId: string, tokenId: string): Promise<void> {
  if (!(await revokeRow(db, userId, tokenId))) throw new AppError("not_found", "API token not found");
}

export async function userFromApiToken(
  db: Db,
  token: string,
): Promise<{ user: PublicUser; tokenId: string; scope: ApiTokenScope } | undefined> {
  const now = new Date();
  const found = await findUserByTokenHash(db, hashOpaqueToken(token), now);
  if (!found) return undefined;
  if (!found.lastUsedAt || now.getTime() - found.lastUsedAt.getTime() > TOUCH_EVERY_MS) await touchApiToken(db, found.tokenId, now);
  return { user: toPublicUser(found.user), tokenId: found.tokenId, scope: found.scope };
}
