import type { PublishedRecord } from "./platform";

/**
 * How a platform call failed, decided once in the platform service. The post and
 * refresh queues map these to BullMQ behaviour (retry, wait, fail now) in one place.
 */
export abstract class PlatformError extends Error {
  abstract readonly kind: "transient" | "rate_limited" | "auth" | "permanent" | "account_gone" | "reauth_required";
  /** Set by publish when a thread failed part-way: the segments that are live (in order). */
  publishedSoFar?: PublishedRecord[];
}

/** Network error, timeout, 5xx: try again later. */
export class TransientPlatformError extends PlatformError {
  readonly kind = "transient";
}

/** 429: wait until `retryAfterMs` has passed, without spending an attempt. */
export class RateLimitedError extends PlatformError {
  readonly kind = "rate_limited";
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

/** Expired/invalid token or 401: refresh the session (or log in again), then retry. */
export class AuthPlatformError extends PlatformError {
  readonly kind = "auth";
}

/** Invalid record, 400 and friends: retrying cannot help. The message is for a person. */
export class PermanentPlatformError extends PlatformError {
  readonly kind = "permanent";
}

/** The account was deleted, deactivated or taken down. */
export class AccountGoneError extends PlatformError {
  readonly kind = "account_gone";
}

/** Neither the refresh token nor the stored app password is accepted: a person must reconnect. */
export class ReauthRequiredError extends PlatformError {
  readonly kind = "reauth_required";
}
