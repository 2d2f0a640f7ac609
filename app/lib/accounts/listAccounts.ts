import type { PlatformDescriptor } from "../api/platform";
import { getPlatformService, platformDescriptors } from "../api/services/apiManager";
import type { AppContext } from "../context";
import { listAccountsOfUser } from "../db/queries/accounts";
import { toPublicAccount, type PublicAccount } from "./publicAccount";

export async function listAccounts(ctx: AppContext, userId: string): Promise<PublicAccount[]> {
  const rows = await listAccountsOfUser(ctx.database.db, userId);
  return rows.map(toPublicAccount);
}

/**
 * What the composer counts against (GET /api/platforms): every platform's own descriptor, and
 * each of the user's accounts' — the same, or where each server sets its own limits (a
 * Mastodon instance), that server's. Server validation judges a post by the same descriptors.
 */
export async function listPlatformLimits(
  ctx: AppContext,
  userId: string,
): Promise<{ platforms: PlatformDescriptor[]; accounts: Array<{ accountId: string; descriptor: PlatformDescriptor }> }> {
  const rows = await listAccountsOfUser(ctx.database.db, userId);
  const accounts = await Promise.all(
    rows.map(async (a) => {
      const service = getPlatformService(ctx, a.platform);
      return { accountId: a.id, descriptor: service.descriptorFor ? await service.descriptorFor(a) : service.descriptor };
    }),
  );
  return { platforms: platformDescriptors(ctx), accounts };
}
