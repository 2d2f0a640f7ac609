import type { AppContext } from "../context";
import { LockTimeoutError, withAdvisoryLockRead, type HeldLock, type LockOptions } from "../db/advisoryLock";
import type { Db } from "../db/client";

/** The advisory-lock key of one account. */
export const accountLockKey = (accountId: string) => `account-${accountId}`;

export class AccountLockTimeoutError extends LockTimeoutError {
  constructor(key: string, waitedMs: number) {
    super(key, waitedMs, "the account");
    this.name = "AccountLockTimeoutError";
  }
}

const timeoutError = (key: string, ms: number) => new AccountLockTimeoutError(key, ms);

/**
 * The per-account lock every token refresh path takes (accounts/refresh.ts), whichever
 * queue backend runs the job: the generic advisory lock (db/advisoryLock.ts) on the
 * account's key; `tx` is the lock's transaction, committed as the lock is released. Throws
 * AccountLockTimeoutError when the wait exceeds `opts.waitMs`.
 */
export function withAccountLock<T>(
  ctx: Pick<AppContext, "database" | "locks">,
  accountId: string,
  fn: (tx: Db) => Promise<T>,
  opts: Pick<LockOptions, "waitMs"> = {},
): Promise<T> {
  return withAccountLockRead(ctx, accountId, async () => undefined, (_, lock) => fn(lock.tx), opts);
}

/** withAccountLock whose first read (`read`, in the lock's transaction) travels with the lock: one round trip for both. */
export function withAccountLockRead<R, T>(
  ctx: Pick<AppContext, "database" | "locks">,
  accountId: string,
  read: (tx: Db) => Promise<R>,
  fn: (first: R, lock: HeldLock) => Promise<T>,
  opts: Pick<LockOptions, "waitMs"> = {},
): Promise<T> {
  return withAdvisoryLockRead(ctx, accountLockKey(accountId), read, fn, { ...opts, timeoutError });
}
