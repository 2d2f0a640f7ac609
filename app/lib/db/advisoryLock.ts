import type { PoolClient } from "pg";
import type { AppContext } from "../context";
import { AppError } from "../errors";
import { logger } from "../logger";

/**
 * The one named lock of PostMore (the per-account lock of every token refresh, the
 * scheduler maintenance), held across processes and machines on either queue backend. It
 * lives in PostgreSQL (which holds the tokens and is always there): a session-level advisory
 * lock taken with `pg_try_advisory_lock` on a pooled client that is kept for the whole hold.
 * If the process dies the connection drops and PostgreSQL releases the lock.
 *
 * Why try-lock polling rather than a blocking `pg_advisory_lock`: a blocked waiter would
 * sit on a pool connection for the whole wait, and 50 waiters would drain the pool the
 * holder needs to save its new tokens. Waiters in the same process queue in memory first,
 * so only one per process and key polls the database.
 */

const log = logger("advisory-lock");

/** Namespace for the two-key advisory lock form, so our keys never collide with anyone else's. */
export const ADVISORY_LOCK_NAMESPACE = 0x504d0001;
const DEFAULT_WAIT_MS = 30_000;
const POLL_MIN_MS = 10;
const POLL_MAX_MS = 200;

/** The wait for a lock ran out; `what` names the busy thing for the person who sees the message. */
export class LockTimeoutError extends AppError {
  constructor(readonly key: string, waitedMs: number, what = `"${key}"`) {
    const waited = waitedMs < 1000 ? `${waitedMs} ms` : `${Math.round(waitedMs / 1000)} s`;
    super("unavailable", `${what} is busy (someone else held its lock for more than ${waited}); try again`);
    this.name = "LockTimeoutError";
  }
}

export interface LockOptions {
  /** Longest wait for the lock before a LockTimeoutError (default 30 s). */
  waitMs?: number;
  /** The error thrown when the wait runs out (default LockTimeoutError). */
  timeoutError?: (key: string, waitedMs: number) => LockTimeoutError;
}

type Timeout = NonNullable<LockOptions["timeoutError"]>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitWithDeadline(p: Promise<void>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits for this process's earlier holders of `key`; returns the release for our turn. */
async function acquireLocal(ctx: Pick<AppContext, "locks">, key: string, deadline: number, waitMs: number, timeout: Timeout): Promise<() => void> {
  // In-process queue per key (owned by the context): a chain of promises, each holder releasing the next.
  const tails = ctx.locks.tails;
  const previous = tails.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const tail = previous.then(() => mine);
  tails.set(key, tail);
  void tail.then(() => {
    if (tails.get(key) === tail) tails.delete(key);
  });
  if (!(await waitWithDeadline(previous, deadline))) {
    // Keep the chain intact: our slot passes the turn on as soon as the one before us ends.
    void previous.then(release);
    throw timeout(key, waitMs);
  }
  return release;
}

/** Polls pg_try_advisory_lock until it is ours or the deadline passes; returns the client holding it. */
async function acquireDatabase(ctx: Pick<AppContext, "database">, key: string, deadline: number, waitMs: number, timeout: Timeout): Promise<PoolClient> {
  let delay = POLL_MIN_MS;
  for (;;) {
    const client = await ctx.database.pool.connect();
    let got: boolean;
    try {
      const res = await client.query<{ locked: boolean }>(
        "SELECT pg_try_advisory_lock($1::int, hashtext($2)) AS locked",
        [ADVISORY_LOCK_NAMESPACE, key],
      );
      got = res.rows[0]?.locked === true;
    } catch (err) {
      client.release(err as Error);
      throw err;
    }
    if (got) {
      // A checked-out client has no pool listener: without ours, its connection dying
      // (database restart, the session killed) would be an uncaught 'error' event. The
      // lock is gone with the session then; releaseDatabase finds that out and drops it.
      client.on("error", onHeldClientError);
      return client;
    }
    client.release();
    if (Date.now() + delay > deadline) throw timeout(key, waitMs);
    // Jitter so processes polling the same key do not march in step.
    await sleep(delay / 2 + Math.random() * delay);
    delay = Math.min(POLL_MAX_MS, delay * 2);
  }
}

function onHeldClientError(err: Error): void {
  log.warn({ err }, "the connection holding an advisory lock failed; the database released the lock");
}

async function releaseDatabase(client: PoolClient, key: string): Promise<void> {
  try {
    const res = await client.query<{ unlocked: boolean }>(
      "SELECT pg_advisory_unlock($1::int, hashtext($2)) AS unlocked",
      [ADVISORY_LOCK_NAMESPACE, key],
    );
    if (res.rows[0]?.unlocked !== true) throw new Error("advisory lock was not held at release");
    client.release();
  } catch (err) {
    // Never hand a connection that may still hold the lock back to the pool: destroy it,
    // which ends the session and so releases any lock it held.
    log.warn({ err, key }, "could not release the advisory lock cleanly; dropping the connection");
    client.release(err instanceof Error ? err : new Error(String(err)));
  } finally {
    client.off("error", onHeldClientError);
  }
}

/**
 * Runs `fn` while holding the lock named `key` (in this process and in every other one
 * sharing the database). Throws LockTimeoutError (or `opts.timeoutError`) when the wait
 * exceeds `waitMs`.
 */
export async function withAdvisoryLock<T>(
  ctx: Pick<AppContext, "database" | "locks">,
  key: string,
  fn: () => Promise<T>,
  opts: LockOptions = {},
): Promise<T> {
  const waitMs = opts.waitMs ?? DEFAULT_WAIT_MS;
  const timeout: Timeout = opts.timeoutError ?? ((k, ms) => new LockTimeoutError(k, ms));
  const deadline = Date.now() + waitMs;
  const releaseLocal = await acquireLocal(ctx, key, deadline, waitMs, timeout);
  try {
    const client = await acquireDatabase(ctx, key, deadline, waitMs, timeout);
    try {
      return await fn();
    } finally {
      await releaseDatabase(client, key);
    }
  } finally {
    releaseLocal();
  }
}
