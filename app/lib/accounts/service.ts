import type { PlatformAccount, PlatformSession } from "../api/platform";
import type { AppContext } from "../context";
import { findAccountById, setAccountError, updateAccountSession } from "../db/queries/accounts";
import type { SocialAccount } from "../db/schema";
import { notFound } from "../errors";
import { logger } from "../logger";
import { assertAccountId, openCredentials, sealCredentials } from "./publicAccount";

/** The account functions the queues and the token refresh call: loading, saving and marking an account. */

const log = logger("accounts");

export type LoadedPlatformAccount = PlatformAccount & {
  userId: string;
  platform: SocialAccount["platform"];
  status: SocialAccount["status"];
  accessExpiresAt: Date | null;
  lastRefreshedAt: Date | null;
};

/** The account with its credentials decrypted, for the platform service. Keep it out of logs and job data. */
export async function loadPlatformAccount(ctx: AppContext, accountId: string): Promise<LoadedPlatformAccount> {
  assertAccountId(accountId);
  return platformAccountFromRow(ctx, await findAccountById(ctx.database.db, accountId));
}

/** loadPlatformAccount for a row already read (undefined: the account is gone). */
export function platformAccountFromRow(ctx: Pick<AppContext, "box">, row: SocialAccount | undefined): LoadedPlatformAccount {
  if (!row) throw notFound("account");
  return {
    id: row.id,
    userId: row.userId,
    platform: row.platform,
    remoteId: row.remoteId,
    handle: row.handle,
    instanceUrl: row.instanceUrl,
    status: row.status,
    accessExpiresAt: row.accessExpiresAt,
    lastRefreshedAt: row.lastRefreshedAt,
    credentials: openCredentials(ctx.box, row.credentials, row.id),
    credentialsKind: row.credentialsKind,
  };
}

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
    instanceUrl: session.service,
    accessExpiresAt: session.accessExpiresAt,
    credentials: sealCredentials(ctx.box, { appPassword, accessJwt: session.accessJwt, refreshJwt: session.refreshJwt }, accountId),
  });
}

/** Neither token nor app password works any more: the person must reconnect. `reason` is shown to them. */
export async function markAccountNeedsReauth(ctx: AppContext, accountId: string, reason: string): Promise<void> {
  await setAccountError(ctx.database.db, accountId, { message: reason, status: "needs_reauth" });
  log.warn({ accountId, reason }, "account needs reconnecting");
}

/** The platform says the account is gone (deleted, deactivated, taken down): stop using it. */
export async function markAccountDisabled(ctx: AppContext, accountId: string, reason: string): Promise<void> {
  await setAccountError(ctx.database.db, accountId, { message: reason, status: "disabled" });
  log.warn({ accountId, reason }, "account disabled");
}

/** Notes a passing problem (network, rate limit) on the account without changing its status. */
export async function recordAccountError(ctx: AppContext, accountId: string, message: string): Promise<void> {
  await setAccountError(ctx.database.db, accountId, { message });
}
