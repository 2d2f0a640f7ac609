import type { PlatformName } from "../api/platform";
import { getPlatformService } from "../api/services/apiManager";
import type { AppContext } from "../context";
import { upsertAccount } from "../db/queries/accounts";
import { logger } from "../logger";
import { sealCredentials, toPublicAccount, type PublicAccount } from "./publicAccount";

const log = logger("accounts");

export interface ConnectAccountInput {
  platform: PlatformName;
  identifier: string;
  appPassword: string;
  service?: string;
}

/**
 * Logs in on the platform first and stores nothing unless that worked. Connecting a DID
 * this user already has replaces its tokens and makes it active again (`created: false`).
 */
export async function connectAccount(
  ctx: AppContext,
  userId: string,
  input: ConnectAccountInput,
): Promise<{ account: PublicAccount; created: boolean }> {
  const session = await getPlatformService(input.platform).connect({
    identifier: input.identifier,
    appPassword: input.appPassword,
    service: input.service,
  });
  const { account, created } = await upsertAccount(ctx.database.db, {
    userId,
    platform: input.platform,
    did: session.did,
    handle: session.handle,
    service: session.service,
    accessExpiresAt: session.accessExpiresAt,
    credentials: sealCredentials(ctx.box, {
      appPassword: input.appPassword,
      accessJwt: session.accessJwt,
      refreshJwt: session.refreshJwt,
    }),
  });
  log.info({ accountId: account.id, userId, did: account.did, created }, created ? "account connected" : "account reconnected");
  return { account: toPublicAccount(account), created };
}
