import type { AppContext } from "../context";
import { LockTimeoutError, withAdvisoryLock, type LockOptions } from "../db/advisoryLock";

/** The advisory-lock key of one account. */
export const accountLockKey = (accountId: string) => `account-${accountId}`;

export class AccountLockTimeoutError extends LockTimeoutError {
  constructor(key: string, waitedMs: number) {
    super(key, waitedMs, "the account");
    this.name = "AccountLockTimeoutError";
  }
}

/**
 * The per-account lock every token refresh path takes (accounts/refresh.ts), whichever
 * queue backend runs the job: the generic advisory lock (db/advisoryLock.ts) on the
 * account's key. Throws AccountLockTimeoutError when the wait exceeds `opts.waitMs`.
 */
export function withAccountLock<T>(
  ctx: Pick<AppContext, "database" | "locks">,
  accountId: string,
  fn: () => Promise<T>,
  opts: Pick<LockOptions, "waitMs"> = {},
): Promise<T> {
  return withAdvisoryLock(ctx, accountLockKey(accountId), fn, { ...opts, timeoutError: (key, ms) => new AccountLockTimeoutError(key, ms) });
}
