/**
 * One error type for everything a caller may see. `code` is stable (clients match
 * on it); HTTP status comes from the code, in this one place.
 */
export const errorStatus = {
  bad_request: 400,
  validation_failed: 400,
  unauthenticated: 401,
  forbidden: 403,
  insufficient_scope: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  scheduled_in_past: 422,
  idempotency_key_reused: 422,
  import_invalid: 422,
  invalid_credentials: 422,
  too_many_requests: 429,
  upstream_unreachable: 502,
  unavailable: 503,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "AppError";
  }

  get status(): number {
    return errorStatus[this.code];
  }
}

export const notFound = (what: string) => new AppError("not_found", `${what} not found`);

/** A refusal the caller may retry after a wait: 429 (throttled) or 503 (busy), with `Retry-After`. */
export class RetryLaterError extends AppError {
  constructor(
    code: "too_many_requests" | "unavailable",
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(code, message);
    this.name = "RetryLaterError";
  }
}
