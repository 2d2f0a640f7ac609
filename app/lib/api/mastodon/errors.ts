import { MastoHttpError } from "masto";
import {
  AccountGoneError,
  PermanentPlatformError,
  PlatformError,
  RateLimitedError,
  ReauthRequiredError,
  TransientPlatformError,
} from "../platformErrors";

/**
 * What a failed call to a Mastodon instance means for the caller, decided once:
 * 401 → the token is revoked or invalid (Mastodon tokens do not expire, so nothing can be
 * refreshed: a person reconnects); 422 → the status is refused, with Mastodon's message;
 * 429 → wait until X-RateLimit-Reset; 5xx, timeouts, network errors and answers that are
 * not JSON (a proxy's error page) → try again.
 */

/** Wait when a 429 carries no usable header (Mastodon's windows are five minutes). */
export const DEFAULT_RATE_LIMIT_WAIT_MS = 5 * 60 * 1000;

export function classifyMastodonError(err: unknown, action: string, now = Date.now()): PlatformError {
  if (err instanceof PlatformError) return err;
  if (!(err instanceof MastoHttpError)) {
    return new TransientPlatformError(`network problem while ${action}: ${describe(err)}`, { cause: err });
  }
  const status = err.statusCode;
  const message = [err.message, err.description].filter(Boolean).join(": ") || `HTTP ${status}`;
  if (status === 429) {
    return new RateLimitedError(`Mastodon rate limit reached while ${action}`, rateLimitWaitMs(responseHeaders(err), now));
  }
  if (status === 401) {
    return new ReauthRequiredError(`Mastodon no longer accepts the access token (${message}) while ${action}: reconnect the account`, { cause: err });
  }
  if (status === 410 || (status === 403 && /suspend|disabled|deleted/i.test(message))) {
    return new AccountGoneError(`the Mastodon account is unavailable (${message}) while ${action}`, { cause: err });
  }
  if (status === 408 || status >= 500) {
    return new TransientPlatformError(`Mastodon is not answering properly (${status} ${message}) while ${action}`, { cause: err });
  }
  return new PermanentPlatformError(`Mastodon refused ${action}: ${message}`, { cause: err });
}

/**
 * Mastodon sends X-RateLimit-Reset as an ISO 8601 time; some proxies add Retry-After
 * (seconds or an HTTP date). Never less than a second, so a caller cannot spin.
 */
export function rateLimitWaitMs(headers: Headers | undefined, now = Date.now()): number {
  const reset = Date.parse(headers?.get("x-ratelimit-reset") ?? "");
  if (Number.isFinite(reset)) return Math.max(1000, reset - now);
  const retryAfter = headers?.get("retry-after");
  if (retryAfter) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(1000, seconds * 1000);
    const date = Date.parse(retryAfter);
    if (Number.isFinite(date)) return Math.max(1000, date - now);
  }
  return DEFAULT_RATE_LIMIT_WAIT_MS;
}

/** masto keeps the failed Response as the error's cause. */
function responseHeaders(err: MastoHttpError): Headers | undefined {
  return err.cause instanceof Response ? err.cause.headers : undefined;
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  const code = cause && typeof cause === "object" && "code" in cause ? String((cause as { code: unknown }).code) : undefined;
  return code ? `${err.message} (${code})` : err.message;
}
