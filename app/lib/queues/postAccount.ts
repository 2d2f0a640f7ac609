import type { PlatformAccount } from "../api/platform";
import { openCredentials } from "../accounts/publicAccount";
import { ensureFreshSession, REFRESH_MARGIN_MS, refreshAccountSession } from "../accounts/refresh";
import { markAccountDisabled, markAccountNeedsReauth } from "../accounts/service";
import type { AppContext } from "../context";
import type { ClaimedDelivery } from "../db/queries/deliveries";

/**
 * The post worker's view of accounts: always through the token-refresh module, so every
 * refresh it triggers takes the same per-account lock as the weekly job and the admin route.
 */

/**
 * The account with an access token good for at least a few more minutes. The claim already
 * read the account row: when its token is fresh, use it as is (no second and third query per
 * publish); otherwise ensureFreshSession refreshes it under the account lock.
 */
export async function freshAccount(ctx: AppContext, claim: ClaimedDelivery): Promise<PlatformAccount> {
  // A null expiry: the token never expires (Mastodon), so there is nothing to refresh.
  if (claim.accessExpiresAt && claim.accessExpiresAt.getTime() - Date.now() < REFRESH_MARGIN_MS) return ensureFreshSession(ctx, claim.accountId);
  return {
    id: claim.accountId,
    remoteId: claim.accountRemoteId,
    handle: claim.accountHandle,
    instanceUrl: claim.accountInstanceUrl,
    credentials: openCredentials(ctx.box, claim.accountCredentials, claim.accountId),
    credentialsKind: claim.accountCredentialsKind,
  };
}

/**
 * The platform refused a token that looked fresh. Refresh it — unless someone else already
 * did after `since` (then their tokens are the ones to use).
 */
export function refreshedAccount(ctx: AppContext, accountId: string, since: Date): Promise<PlatformAccount> {
  return refreshAccountSession(ctx, accountId, { ifIssuedBefore: since });
}

/** The platform says the account is gone or needs a person: stop using it until it is reconnected. */
export async function markAccountProblem(ctx: AppContext, accountId: string, kind: "gone" | "reauth", reason: string): Promise<void> {
  if (kind === "gone") await markAccountDisabled(ctx, accountId, reason);
  else await markAccountNeedsReauth(ctx, accountId, reason);
}
