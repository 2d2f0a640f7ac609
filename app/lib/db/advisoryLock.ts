import type { PoolClient, QueryResult } from "pg";
import type { AppContext } from "../context";
import { AppError } from "../errors";
import { logger } from "../logger";
import type { Db } from "./client";

/**
 * The one named lock of PostMore (the per-account lock of every token refresh, Bluesky's
 * OAuth session lock, the scheduler maintenance, the reconciler), held across processes and
 * machines on either queue backend. It lives in PostgreSQL (which holds the tokens and is
 * always there): a transaction-level advisory lock (`pg_try_advisory_xact_lock`) taken in a
 * transaction on a pooled client that is kept for the whole hold. The holder gets that
 * transaction as `tx`: what it reads there is read under the lock, and what it writes there
 * is committed by the same COMMIT that releases the lock. If the process dies the connection
 * drops and PostgreSQL rolls the transaction back and releases the lock.
 *
 * Round trips, for the token refresh's sake (bench: `npm run bench -- token-refresh`): BEGIN
 * and the try-lock go as one message, a holder's first read rides right behind them on the
 * pipelined connection (withAdvisoryLockRead), and its last write can go with the COMMIT
 * (HeldLock.commitWith): a read-then-write holder costs two round trips in all.
 *
 * Why try-lock polling rather than a blocking `pg_advisory_xact_lock`: a blocked waiter
 * would sit on a pool connection for the whole wait, and 50 waiters would drain the pool
 * the holder needs. Waiters in the same process queue in memory first, so only one per
 * process and key polls the database.
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
type LockHolder = Pick<AppContext, "database" | "locks">;
/** A read to run under the lock, in the lock's transaction. */
type Read<R> = (tx: Db) => Promise<R>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const asError = (err: unknown) => (err instanceof Error ? err : new Error(String(err)));

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

/** Joins this process's queue of holders of `key`: `previous` ends when it is our turn; `release` passes the turn on. */
function queueLocal(ctx: Pick<AppContext, "locks">, key: string): { previous: Promise<void>; release: () => void } {
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
  return { previous, release };
}

/** Waits for this process's earlier holders of `key`; returns the release for our turn. */
async function acquireLocal(ctx: Pick<AppContext, "locks">, key: string, deadline: number, waitMs: number, timeout: Timeout): Promise<() => void> {
  const { previous, release } = queueLocal(ctx, key);
  if (!(await waitWithDeadline(previous, deadline))) {
    // Keep the chain intact: our slot passes the turn on as soon as the one before us ends.
    void previous.then(release);
    throw timeout(key, waitMs);
  }
  return release;
}

function onHeldClientError(err: Error): void {
  log.warn({ err }, "the connection holding an advisory lock failed; the database released the lock");
}

/** Ends the lock's transaction and hands the client back; a client in doubt is destroyed (which ends its session, so its lock). */
async function finish(client: PoolClient, end: "COMMIT" | "ROLLBACK"): Promise<void> {
  try {
    const res = await client.query(end);
    // COMMIT of a transaction a failed statement aborted answers ROLLBACK, without an error.
    if (end === "COMMIT" && res.command !== "COMMIT") throw new Error("a statement under the lock failed: nothing written in its transaction was kept");
    client.release();
  } catch (err) {
    client.release(asError(err));
    throw err;
  } finally {
    client.off("error", onHeldClientError);
  }
}

/**
 * Sends what `queue` queries (Drizzle queries start a microtask later), then runs `last`,
 * all in one write to the socket: with the connection pipelined, one write and one wake-up
 * of PostgreSQL for statements that would otherwise each cost a round trip.
 */
function sendTogether(client: PoolClient, queue: () => void, last?: () => void): void {
  const socket = client.connection.stream;
  socket.cork();
  try {
    queue();
  } finally {
    // After every microtask: the queries `queue` started are in the socket's buffer by then.
    setImmediate(() => {
      try {
        last?.();
      } finally {
        socket.uncork();
      }
    });
  }
}

interface Held<R> {
  client: PoolClient;
  tx: Db;
  first: R;
}

/** What a holder gets: the lock's transaction, and a way to end it together with the last write. */
export interface HeldLock {
  /** Drizzle in the lock's transaction: reads see every earlier holder's writes; writes are committed as the lock is released. */
  tx: Db;
  /**
   * Sends `write` (the holder's last statement, in `tx`) and the COMMIT in one round trip and
   * resolves with the write's result once both are done. The lock is released then: nothing
   * after it is under the lock, and `tx` must not be used again.
   */
  commitWith<W>(write: () => Promise<W>): Promise<W>;
}

/**
 * One attempt at the database lock: BEGIN and the try-lock in one message, `read` pipelined
 * behind it (PostgreSQL runs it once the lock is decided, so it sees every earlier holder's
 * commit). Undefined when someone else holds the lock (nothing kept, the client handed back).
 */
async function tryDatabase<R>(ctx: LockHolder, key: string, read: Read<R>): Promise<Held<R> | undefined> {
  const client = await ctx.database.pool.connect();
  // A checked-out client has no pool listener: without ours, its connection dying (database
  // restart, the session killed) would be an uncaught 'error' event.
  client.on("error", onHeldClientError);
  const tx = ctx.database.on(client);
  let results: QueryResult[];
  let first!: Promise<R>;
  try {
    let locking!: Promise<QueryResult[]>;
    sendTogether(client, () => {
      // The key is a literal here (one simple-protocol message carries the three statements).
      locking = client.query(
        `BEGIN; SET LOCAL idle_in_transaction_session_timeout = 0;
         SELECT pg_try_advisory_xact_lock(${ADVISORY_LOCK_NAMESPACE}, hashtext(${client.escapeLiteral(key)})) AS locked`,
      ) as unknown as Promise<QueryResult[]>;
      first = read(tx);
      // Awaited below when the lock is ours; a failure must not surface as an unhandled rejection first.
      first.catch(() => undefined);
    });
    results = await locking;
  } catch (err) {
    await finish(client, "ROLLBACK").catch(() => undefined);
    throw err;
  }
  if (results[2]?.rows[0]?.locked !== true) {
    await finish(client, "ROLLBACK");
    return undefined;
  }
  try {
    return { client, tx, first: await first };
  } catch (err) {
    await finish(client, "ROLLBACK").catch(() => undefined);
    throw err;
  }
}

/** Polls tryDatabase until the lock is ours or the deadline passes. */
async function acquireDatabase<R>(ctx: LockHolder, key: string, read: Read<R>, deadline: number, waitMs: number, timeout: Timeout): Promise<Held<R>> {
  let delay = POLL_MIN_MS;
  for (;;) {
    const held = await tryDatabase(ctx, key, read);
    if (held) return held;
    if (Date.now() + delay > deadline) throw timeout(key, waitMs);
    // Jitter so processes polling the same key do not march in step.
    await sleep(delay / 2 + Math.random() * delay);
    delay = Math.min(POLL_MAX_MS, delay * 2);
  }
}

/** Runs fn while holding the lock, then COMMITs (which releases it) unless fn did with commitWith, or ROLLBACKs when fn throws. */
async function runHeld<R, T>(held: Held<R>, key: string, fn: (first: R, lock: HeldLock) => Promise<T>): Promise<T> {
  const { client, tx } = held;
  let ended = false;
  const lock: HeldLock = {
    tx,
    commitWith: async (write) => {
      if (ended) throw new Error("internal: the lock's transaction has already ended");
      ended = true;
      let writing!: ReturnType<typeof write>;
      const committing = new Promise<void>((resolve, reject) => {
        sendTogether(
          client,
          () => {
            writing = write();
          },
          () => void finish(client, "COMMIT").then(resolve, reject),
        );
      });
      const [result] = await Promise.all([writing, committing]);
      return result;
    },
  };
  let result: T;
  try {
    result = await fn(held.first, lock);
  } catch (err) {
    // fn's error is the one that matters; a failed rollback only costs the connection.
    if (!ended) {
      ended = true;
      await finish(client, "ROLLBACK").catch((rollbackErr: unknown) => log.warn({ err: rollbackErr, key }, "could not roll back under the lock; dropped the connection"));
    }
    throw err;
  }
  // A failed COMMIT loses what fn wrote through `tx`: the caller must know.
  if (!ended) await finish(client, "COMMIT");
  return result;
}

const noRead: Read<undefined> = async () => undefined;

/**
 * Runs `fn` while holding the lock named `key` (in this process and in every other one
 * sharing the database); `tx` is the lock's transaction, committed when fn returns. Throws
 * LockTimeoutError (or `opts.timeoutError`) when the wait exceeds `waitMs`.
 */
export function withAdvisoryLock<T>(ctx: LockHolder, key: string, fn: (tx: Db) => Promise<T>, opts: LockOptions = {}): Promise<T> {
  return withAdvisoryLockRead(ctx, key, noRead, (_, lock) => fn(lock.tx), opts);
}

/**
 * withAdvisoryLock whose first read under the lock travels with the lock itself: `read` runs
 * in the lock's transaction as soon as the lock is granted, and fn gets its result (and can
 * send its last write with the COMMIT: HeldLock.commitWith).
 */
export async function withAdvisoryLockRead<R, T>(
  ctx: LockHolder,
  key: string,
  read: Read<R>,
  fn: (first: R, lock: HeldLock) => Promise<T>,
  opts: LockOptions = {},
): Promise<T> {
  const waitMs = opts.waitMs ?? DEFAULT_WAIT_MS;
  const timeout: Timeout = opts.timeoutError ?? ((k, ms) => new LockTimeoutError(k, ms));
  const deadline = Date.now() + waitMs;
  const releaseLocal = await acquireLocal(ctx, key, deadline, waitMs, timeout);
  try {
    return await runHeld(await acquireDatabase(ctx, key, read, deadline, waitMs, timeout), key, fn);
  } finally {
    releaseLocal();
  }
}

/**
 * One try, no wait: runs `fn` under the lock if nobody (here or elsewhere) holds it right
 * now, else returns `{ acquired: false }` at once. For work that any one process may do.
 */
export async function tryWithAdvisoryLock<T>(
  ctx: LockHolder,
  key: string,
  fn: (tx: Db) => Promise<T>,
): Promise<{ acquired: true; value: T } | { acquired: false }> {
  if (ctx.locks.tails.has(key)) return { acquired: false };
  const { release } = queueLocal(ctx, key);
  try {
    const held = await tryDatabase(ctx, key, noRead);
    if (!held) return { acquired: false };
    return { acquired: true, value: await runHeld(held, key, (_, lock) => fn(lock.tx)) };
  } finally {
    release();
  }
}
