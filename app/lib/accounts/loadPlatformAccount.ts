import type { PlatformAccount } from "../api/platform";
import type { AppContext } from "../context";
import { findAccountById } from "../db/queries/accounts";
import type { SocialAccount } from "../db/schema";
import { notFound } from "../errors";
import { assertAccountId, openCredentials } from "./publicAccount";

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
  const row = await findAccountById(ctx.database.db, accountId);
  if (!row) throw notFound("account");
  return {
    id: row.id,
    userId: row.userId,
    platform: row.platform,
    did: row.did,
    handle: row.handle,
    service: row.service,
    status: row.status,
    accessExpiresAt: row.accessExpiresAt,
    lastRefreshedAt: row.lastRefreshedAt,
    credentials: openCredentials(ctx.box, row.credentials, row.id),
  };
}
