import type pg from "pg";
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import type { Config } from "../config";
import { RetryLaterError } from "../errors";
import { createPasswordHasher, type PasswordHasher } from "./password";

/**
 * Throttles and bounded work of the auth layer, held in the AppContext. Sign-in and
 * account-connect counters live in PostgreSQL (table `rate_limits`), so every web process
 * shares them and the default install needs no Redis; the per-token API limit is counted in
 * memory (per process) to keep the hot path free of writes.
 */
export interface AuthGuards {
  signIn: SignInThrottle;
  /** Throws 429 past ACCOUNT_CONNECT_LIMIT_PER_HOUR attempts by one user. */
  accountConnect(userId: string): Promise<void>;
  /** Throws 429 past API_RATE_LIMIT_PER_MINUTE requests with one token (no-op when 0). */
  apiToken(tokenId: string): Promise<void>;
  passwords: PasswordHasher;
}

export const FREE_SIGNIN_FAILURES = 5;
const FAILURE_WINDOW_SECONDS = 24 * 3600;
const MAX_LOCKOUT_SECONDS = 3600;
const TABLE = { tableName: "rate_limits", tableCreated: true, clearExpiredByTimeout: false } as const;

const retryIn = (ms: number, message: string) => new RetryLaterError("too_many_requests", message, ms / 1000);

/** rate-limiter-flexible rejects with a RateLimiterRes when out of points (and with an Error when the store fails). */
async function consumeOrThrow(limiter: RateLimiterMemory | RateLimiterPostgres, key: string, message: string) {
  try {
    await limiter.consume(key);
  } catch (err) {
    if (err instanceof RateLimiterRes) throw retryIn(err.msBeforeNext, message);
    throw err;
  }
}

export interface SignInThrottle {
  /** Throws 429 with the remaining wait while any of the keys is locked out. */
  check(keys: string[]): Promise<void>;
  /** Counts a failure per key; from the 5th on, locks the key out for base·2^(n-5) seconds (max 1 h). */
  failed(keys: string[]): Promise<void>;
  /** A correct password clears that key's failures (the address keeps its count). */
  succeeded(key: string): Promise<void>;
}

function createSignInThrottle(pool: pg.Pool, baseSeconds: number): SignInThrottle {
  const failures = new RateLimiterPostgres({ storeClient: pool, storeType: "pool", ...TABLE, keyPrefix: "signin-fail", points: 1e9, duration: FAILURE_WINDOW_SECONDS });
  const lockouts = new RateLimiterPostgres({ storeClient: pool, storeType: "pool", ...TABLE, keyPrefix: "signin-lock", points: 1, duration: 1 });
  return {
    async check(keys) {
      const states = await Promise.all(keys.map((k) => lockouts.get(k)));
      const waitMs = Math.max(0, ...states.map((s) => (s && s.consumedPoints > 1 ? s.msBeforeNext : 0)));
      if (waitMs > 0) throw retryIn(waitMs, "too many failed sign-ins: wait before trying again");
    },
    async failed(keys) {
      await Promise.all(
        keys.map(async (k) => {
          const n = (await failures.penalty(k, 1)).consumedPoints;
          if (n >= FREE_SIGNIN_FAILURES) {
            await lockouts.block(k, Math.min(MAX_LOCKOUT_SECONDS, baseSeconds * 2 ** (n - FREE_SIGNIN_FAILURES)));
          }
        }),
      );
    },
    async succeeded(key) {
      await failures.delete(key);
    },
  };
}

export function createAuthGuards(config: Config, pool: pg.Pool): AuthGuards {
  const s = config.security;
  const connects = new RateLimiterPostgres({ storeClient: pool, storeType: "pool", ...TABLE, keyPrefix: "connect", points: s.accountConnectLimitPerHour, duration: 3600 });
  const perToken = s.apiRateLimitPerMinute > 0 ? new RateLimiterMemory({ keyPrefix: "api", points: s.apiRateLimitPerMinute, duration: 60 }) : undefined;
  return {
    signIn: createSignInThrottle(pool, s.signInLockoutSeconds),
    accountConnect: (userId) => consumeOrThrow(connects, userId, "too many account connections: wait before trying again"),
    apiToken: async (tokenId) => {
      if (perToken) await consumeOrThrow(perToken, tokenId, "API rate limit of this token reached: wait before sending more");
    },
    passwords: createPasswordHasher(s.passwordHashConcurrency),
  };
}

/** Deletes throttle counters whose window ended (the scheduled purge). */
export async function purgeExpiredRateLimits(pool: pg.Pool, now = Date.now()): Promise<number> {
  const r = await pool.query("delete from rate_limits where expire < $1", [now]);
  return r.rowCount ?? 0;
}
