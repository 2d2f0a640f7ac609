import { XRPCError } from "@atproto/api";
import {
  AccountGoneError,
  AuthPlatformError,
  PermanentPlatformError,
  PlatformError,
  RateLimitedError,
  TransientPlatformError,
} from "../platformErrors";

/**
 * Decides, once, what a failed call to a PDS means for the caller: retry, wait,
 * refresh the session, give up, or mark the account. Everything that is not an
 * XRPC error (DNS, refused connection, reset, our own timeout) is transient.
 */

const AUTH_ERRORS = new Set(["ExpiredToken", "InvalidToken", "AuthenticationRequired", "AuthMissing"]);
const GONE_ERRORS = new Set([
  "AccountDeactivated",
  "AccountTakedown",
  "RepoNotFound",
  "RepoDeactivated",
  "RepoTakendown",
  "RepoSuspended",
]);

/** Default wait when a 429 carries no usable header. */
export const DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;

export function xrpcErrorName(err: unknown): string | undefined {
  return err instanceof XRPCError ? err.error : undefined;
}

/** `action` says what we were doing, for messages a person reads ("publishing the post"). */
export function classifyError(err: unknown, action: string, now = Date.now()): PlatformError {
  if (err instanceof PlatformError) return err;
  if (!(err instanceof XRPCError)) {
    return new TransientPlatformError(`network problem while ${action}: ${describeCause(err)}`, { cause: err });
  }
  const name = err.error;
  const detail = err.message && err.message !== name ? `${name}: ${err.message}` : name;
  if (err.status === 429) {
    return new RateLimitedError(`Bluesky rate limit reached while ${action}`, retryAfterMs(err.headers ?? {}, now));
  }
  if (GONE_ERRORS.has(name)) {
    return new AccountGoneError(`the Bluesky account is unavailable (${detail}) while ${action}`, { cause: err });
  }
  if (AUTH_ERRORS.has(name) || err.status === 401) {
    return new AuthPlatformError(`Bluesky did not accept the session (${detail}) while ${action}`, { cause: err });
  }
  // 1 = no HTTP answer at all (refused, reset, timed out): the client wraps the fetch error.
  if (err.status === 1) {
    return new TransientPlatformError(`network problem while ${action}: ${describeCause(err.cause ?? err)}`, { cause: err });
  }
  // 2 = an answer we could not parse (a proxy's error page); 5xx = their side.
  if (err.status < 100 || err.status >= 500) {
    return new TransientPlatformError(`Bluesky is not answering properly (${detail}) while ${action}`, { cause: err });
  }
  return new PermanentPlatformError(`Bluesky refused ${action}: ${permanentReason(name, err.message)}`, { cause: err });
}

function permanentReason(name: string, message: string): string {
  if (name === "InvalidRecord" || /invalid record/i.test(message)) return `the post is not valid (${message})`;
  if (name === "BlobTooLarge" || /too large/i.test(message)) return `a file is too large (${message})`;
  if (name === "InvalidMimeType") return `a file type is not accepted (${message})`;
  return message && message !== name ? `${message} (${name})` : name || "unknown error";
}

function describeCause(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === "TimeoutError" || err.name === "AbortError") return "the request timed out";
  const cause = (err as { cause?: unknown }).cause;
  const code = cause && typeof cause === "object" && "code" in cause ? String((cause as { code: unknown }).code) : undefined;
  return code ? `${err.message} (${code})` : err.message;
}

/**
 * `Retry-After` is seconds or an HTTP date; `RateLimit-Reset` on atproto PDSes is a
 * Unix time in seconds (some servers send seconds-from-now: small values are read so).
 */
export function retryAfterMs(headers: Record<string, string | undefined>, now = Date.now()): number {
  const get = (k: string) => headers[k] ?? headers[k.toLowerCase()];
  const retryAfter = get("retry-after");
  if (retryAfter) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(retryAfter);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  const reset = Number(get("ratelimit-reset"));
  if (Number.isFinite(reset) && reset > 0) {
    return reset > 1_000_000_000 ? Math.max(0, reset * 1000 - now) : reset * 1000;
  }
  return DEFAULT_RATE_LIMIT_WAIT_MS;
}
