import type { PlatformService, PlatformSession } from "../api/platform";
import { AccountGoneError, RateLimitedError, ReauthRequiredError, TransientPlatformError } from "../api/platformErrors";
import { getPlatformService } from "../api/services/apiManager";
import type { AppContext } from "../context";
import type { HeldLock } from "../db/advisoryLock";
import type { AccountRefreshState } from "../db/queries/accountRefresh";
import { findAccountById, updateAccountSession } from "../db/queries/accounts";
import { notFound } from "../errors";
import { logger } from "../logger";
import { withAccountLockRead } from "./lock";
import { assertAccountId, sealCredentials } from "./publicAccount";
import { loadPlatformAccount, markAccountDisabled, markAccountNeedsReauth, platformAccountFromRow, recordAccountError } from "./service";

/**
 * Every token refresh goes through here, whoever asks (the weekly job, an admin, the post
 * worker before publishing): one refresh per account at a time, under the account lock.
 * Whoever waited for the lock re-reads the account and, when someone else refreshed it
 * meanwhile, returns those tokens instead of rotating them again. Bluesky rotates the
 * refresh token on every refresh, so the new tokens are saved by the COMMIT that releases
 * the lock. The lock is withAccountLock (accounts/lock.ts): waiters in this process queue in
 * memory, one per process polls PostgreSQL's advisory lock, with a bounded wait. The account
 * is read in the lock's round trip and saved with its COMMIT: two round trips in all.
 */

const log = logger("token-refresh");

/** Refresh when the access token has less than this left (Bluesky access tokens last 2 h). */
export const REFRESH_MARGIN_MS = 5 * 60_000;


export type RefreshedAccount = Awaited<ReturnType<typeof loadPlatformAccount>>;

export interface RefreshOptions {
  /** Call the platform even when someone else refreshed the account while we waited. */
  force?: boolean;
  /** Nothing to do when the stored tokens were issued at or after this time (default: when this call began). */
  ifIssuedBefore?: Date;
  /** Nothing to do when the stored access token is still valid for at least this long. */
  unlessValidForMs?: number;
  /** Longest wait for the account lock. */
  lockWaitMs?: number;
  /** The account as the caller read it before asking: a change since then means someone else refreshed it. */
  before?: AccountRefreshState;
  /** An account that is not active is skipped (the refresh job) rather than refused with ReauthRequiredError. */
  skipInactive?: boolean;
}

const stamp = (d: Date | null | undefined) => d?.getTime() ?? null;

function refreshedBySomeoneElse(before: AccountRefreshState | undefined, now: AccountRefreshState): boolean {
  if (!before) return false;
  return stamp(before.lastRefreshedAt) !== stamp(now.lastRefreshedAt) || stamp(before.accessExpiresAt) !== stamp(now.accessExpiresAt);
}

function needsNoRefresh(state: AccountRefreshState, opts: RefreshOptions, requestedAt: Date): string | undefined {
  if (opts.force) return undefined;
  if (refreshedBySomeoneElse(opts.before, state)) return "refreshed while we waited";
  const threshold = opts.ifIssuedBefore ?? requestedAt;
  if (state.lastRefreshedAt && state.lastRefreshedAt >= threshold) return "tokens issued after the request";
  if (opts.unlessValidForMs !== undefined && state.accessExpiresAt) {
    if (state.accessExpiresAt.getTime() - Date.now() >= opts.unlessValidForMs) return "access token still valid";
  }
  return undefined;
}

function assertRefreshable(state: AccountRefreshState): void {
  if (state.status !== "active") {
    throw new ReauthRequiredError(`the account is ${state.status.replace("_", " ")}: reconnect it`);
  }
}

/** The platform's full refresh (refresh token, then the stored app password), or plain refreshSession. */
function callRefresh(service: PlatformService, account: RefreshedAccount): Promise<PlatformSession> {
  if (service.forceRefreshTokens) return service.forceRefreshTokens(account);
  if (service.refreshSession) return service.refreshSession(account);
  throw new Error(`internal: ${service.platform} declares expiring tokens but cannot refresh them`);
}

/**
 * A refused app password makes the account needs_reauth (the person sees why), an account
 * gone from the platform disabled; a passing failure (network, 5xx, 429) is only noted on
 * the account, which stays active.
 */
async function noteFailure(ctx: AppContext, accountId: string, err: unknown): Promise<void> {
  try {
    if (err instanceof ReauthRequiredError) await markAccountNeedsReauth(ctx, accountId, err.message);
    else if (err instanceof AccountGoneError) await markAccountDisabled(ctx, accountId, err.message);
    else if (err instanceof TransientPlatformError || err instanceof RateLimitedError) {
      await recordAccountError(ctx, accountId, `token refresh will be retried: ${err.message}`);
    }
  } catch (noteErr) {
    // The refresh error is the one that matters to the caller; this one is only logged.
    log.error({ err: noteErr, accountId }, "could not record the refresh failure on the account");
  }
}

export interface RefreshOutcome {
  account: RefreshedAccount;
  /** True when this call rotated the tokens; false when they were already fresh. */
  refreshed: boolean;
  /** Why no refresh was needed. */
  skipped?: string;
}

/** With the lock held and `account` read under it: decide, refresh, save with the COMMIT that releases the lock (the old refresh token is now spent). */
async function refreshHeld(ctx: AppContext, lock: HeldLock, account: RefreshedAccount, opts: RefreshOptions, requestedAt: Date): Promise<RefreshOutcome> {
  if (opts.skipInactive && account.status !== "active") return { account, refreshed: false, skipped: `account ${account.status}` };
  assertRefreshable(account);
  const platformService = getPlatformService(ctx, account.platform);
  // Tokens that never expire (Mastodon's) have nothing to rotate; a revoked one needs a person.
  if (!platformService.descriptor.auth.tokensExpire) return { account, refreshed: false, skipped: "the platform's tokens do not expire" };
  const skipped = needsNoRefresh(account, opts, requestedAt);
  if (skipped) {
    log.debug({ accountId: account.id, reason: skipped }, "refresh not needed");
    return { account, refreshed: false, skipped };
  }
  let session: PlatformSession;
  try {
    session = await callRefresh(platformService, account);
  } catch (err) {
    await noteFailure(ctx, account.id, err);
    throw err;
  }
  const credentials = { ...account.credentials, accessJwt: session.accessJwt, refreshJwt: session.refreshJwt };
  const values = {
    handle: session.handle,
    instanceUrl: session.service,
    accessExpiresAt: session.accessExpiresAt,
    credentials: sealCredentials(ctx.box, credentials, account.id),
  };
  const refreshedAt = await lock.commitWith(() => updateAccountSession(lock.tx, account.id, values));
  if (!refreshedAt) throw notFound("account");
  // Per account, so debug: the refresh-all job logs the fan-out, failures log at warn.
  log.debug({ accountId: account.id, accessExpiresAt: session.accessExpiresAt }, "tokens refreshed");
  const { handle, service: instanceUrl, accessExpiresAt } = session;
  return { account: { ...account, handle, instanceUrl, status: "active", accessExpiresAt, lastRefreshedAt: refreshedAt, credentials }, refreshed: true };
}

/**
 * Rotates the account's tokens under the account lock and returns the account with the
 * tokens now stored. ReauthRequiredError marks the account `needs_reauth` (with the
 * reason), AccountGoneError `disabled`, and both are rethrown; transient and rate-limit
 * errors are rethrown as they are (the caller retries) and leave the account active.
 */
export async function refreshAccountSessionWithOutcome(ctx: AppContext, accountId: string, opts: RefreshOptions = {}): Promise<RefreshOutcome> {
  // Taken before any await: tokens issued after it were issued by someone else meanwhile.
  const requestedAt = new Date();
  assertAccountId(accountId);
  return withAccountLockRead(
    ctx,
    accountId,
    (tx) => findAccountById(tx, accountId),
    (row, lock) => refreshHeld(ctx, lock, platformAccountFromRow(ctx, row), opts, requestedAt),
    { waitMs: opts.lockWaitMs },
  );
}

/** refreshAccountSessionWithOutcome, for callers that only want the ready account. */
export async function refreshAccountSession(ctx: AppContext, accountId: string, opts: RefreshOptions = {}): Promise<RefreshedAccount> {
  return (await refreshAccountSessionWithOutcome(ctx, accountId, opts)).account;
}

/**
 * The account ready to use: refreshed first (under the lock) when its access token
 * expires within five minutes. A needs_reauth account throws ReauthRequiredError.
 */
export async function ensureFreshSession(ctx: AppContext, accountId: string): Promise<RefreshedAccount> {
  const account = await loadPlatformAccount(ctx, accountId);
  assertRefreshable(account);
  // A null expiry means the token never expires (Mastodon), not that it has expired.
  if (!account.accessExpiresAt || account.accessExpiresAt.getTime() - Date.now() >= REFRESH_MARGIN_MS) return account;
  return refreshAccountSession(ctx, accountId, { unlessValidForMs: REFRESH_MARGIN_MS, before: account });
}
