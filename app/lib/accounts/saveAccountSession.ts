import type { PlatformSession } from "../api/platform";
import type { AppContext } from "../context";
import { findAccountById, updateAccountSession } from "../db/queries/accounts";
import { notFound } from "../errors";
import { openCredentials, sealCredentials } from "./publicAccount";

/**
 * Stores the tokens of a fresh session (the app password is kept), sets
 * accessExpiresAt and lastRefreshedAt, clears the last error and makes the account
 * active. Callers hold the account lock: this is read-modify-write of the credentials.
 */
export async function saveAccountSession(ctx: AppContext, accountId: string, session: PlatformSession): Promise<void> {
  const db = ctx.database.db;
  const row = await findAccountById(db, accountId);
  if (!row) throw notFound("account");
  const { appPassword } = openCredentials(ctx.box, row.credentials, accountId);
  await updateAccountSession(db, accountId, {
    handle: session.handle,
    service: session.service,
    accessExpiresAt: session.accessExpiresAt,
    credentials: sealCredentials(ctx.box, { appPassword, accessJwt: session.accessJwt, refreshJwt: session.refreshJwt }, accountId),
  });
}
