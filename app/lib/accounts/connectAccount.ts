import type { AccountCredentials, PlatformName } from "../api/platform";
import { getPlatformService } from "../api/services/apiManager";
import type { AppContext } from "../context";
import type { Db } from "../db/client";
import { updateAccountSession, upsertAccount, type AccountSessionValues } from "../db/queries/accounts";
import { refreshPostStatus, resetDeliveriesFailedForReauth } from "../db/queries/deliveries";
import type { SocialAccount } from "../db/schema";
import { rescheduleDeliveries } from "../posts/enqueueDeliveries";
import { AppError } from "../errors";
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
 * Logs in on the platform first and stores nothing unless that worked (the platform
 * service also checks the account's identity). Connecting a DID this user already has
 * replaces its tokens and makes it active again (`created: false`).
 */
export async function connectAccount(
  ctx: AppContext,
  userId: string,
  input: ConnectAccountInput,
): Promise<{ account: PublicAccount; created: boolean; retriedDeliveries: number }> {
  const service = getPlatformService(ctx, input.platform);
  if (!service.connect) {
    throw new AppError("bad_request", `${service.descriptor.label} accounts are connected by signing in on the platform (OAuth), not with an app password`);
  }
  const session = await service.connect({
    identifier: input.identifier,
    appPassword: input.appPassword,
    service: input.service,
  });
  const { account, created } = await storeAccount(
    ctx,
    {
      userId,
      platform: input.platform,
      remoteId: session.did,
      handle: session.handle,
      instanceUrl: session.service,
      accessExpiresAt: session.accessExpiresAt,
      credentialsKind: "app_password",
    },
    { appPassword: input.appPassword, accessJwt: session.accessJwt, refreshJwt: session.refreshJwt },
  );
  const retried = created ? 0 : await retryAfterReconnect(ctx, account.id);
  log.info({ accountId: account.id, userId, did: account.remoteId, created, retried }, created ? "account connected" : "account reconnected");
  return { account: toPublicAccount(account), created, retriedDeliveries: retried };
}

/**
 * Deliveries that failed only because the account needed reconnecting, and are not yet
 * "missed", are published now. Returns how many.
 */
export async function retryAfterReconnect(ctx: AppContext, accountId: string): Promise<number> {
  const db = ctx.database.db;
  const reset = await resetDeliveriesFailedForReauth(db, accountId, ctx.config.missedPostAfterHours);
  if (reset.length === 0) return 0;
  for (const postId of new Set(reset.map((d) => d.postId))) await refreshPostStatus(db, postId);
  const now = new Date();
  await rescheduleDeliveries(ctx, reset.map((d) => ({ deliveryId: d.id, scheduledAt: now })));
  return reset.length;
}

/**
 * Inserts or replaces the account row with its credentials sealed to that row's id (the
 * AES-GCM associated data). The id is known only once the upsert has chosen the row, so
 * both statements share a transaction: nobody ever reads the row half-written.
 */
export async function storeAccount(
  ctx: AppContext,
  values: Omit<AccountSessionValues, "credentials"> & {
    userId: string;
    platform: SocialAccount["platform"];
    remoteId: string;
    credentialsKind: SocialAccount["credentialsKind"];
  },
  credentials: AccountCredentials,
): Promise<{ account: SocialAccount; created: boolean }> {
  return ctx.database.db.transaction(async (tx) => {
    // A transaction runs the same query builder; the data layer's helpers take it as their Db.
    const db = tx as unknown as Db;
    const { account, created } = await upsertAccount(db, { ...values, credentials: "" });
    const sealed = sealCredentials(ctx.box, credentials, account.id);
    const { handle, instanceUrl, accessExpiresAt } = values;
    await updateAccountSession(db, account.id, { handle, instanceUrl, accessExpiresAt, credentials: sealed });
    return { account: { ...account, credentials: sealed }, created };
  });
}
