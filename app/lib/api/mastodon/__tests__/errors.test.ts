import { MastoHttpError, MastoTimeoutError, MastoUnexpectedError } from "masto";
import { describe, expect, it } from "vitest";
import { AccountGoneError, PermanentPlatformError, RateLimitedError, ReauthRequiredError, TransientPlatformError } from "../../platformErrors";
import { classifyMastodonError, DEFAULT_RATE_LIMIT_WAIT_MS, rateLimitWaitMs } from "../errors";

const now = Date.parse("2026-05-01T10:00:00Z");

function httpError(statusCode: number, message: string, headers: Record<string, string> = {}) {
  return new MastoHttpError({ statusCode, message }, { cause: new Response(null, { status: statusCode === 429 ? 429 : 400, headers }) });
}

describe("classifyMastodonError", () => {
  it("maps each answer to what the caller should do", () => {
    expect(classifyMastodonError(httpError(401, "The access token was revoked"), "publishing", now)).toBeInstanceOf(ReauthRequiredError);
    const refused = classifyMastodonError(httpError(422, "Validation failed: Text character limit of 500 exceeded"), "publishing the post", now);
    expect(refused).toBeInstanceOf(PermanentPlatformError);
    expect(refused.message).toBe("Mastodon refused publishing the post: Validation failed: Text character limit of 500 exceeded");
    expect(classifyMastodonError(httpError(403, "Your login is currently disabled"), "x", now)).toBeInstanceOf(AccountGoneError);
    expect(classifyMastodonError(httpError(410, "Gone"), "x", now)).toBeInstanceOf(AccountGoneError);
    for (const status of [500, 502, 503, 504, 408]) expect(classifyMastodonError(httpError(status, "oops"), "x", now)).toBeInstanceOf(TransientPlatformError);
  });

  it("treats timeouts, refused connections and non-JSON error pages as transient", () => {
    expect(classifyMastodonError(new MastoTimeoutError("Request timed out"), "x", now)).toBeInstanceOf(TransientPlatformError);
    expect(classifyMastodonError(new MastoUnexpectedError("unknown encoding"), "x", now)).toBeInstanceOf(TransientPlatformError);
    const refused = Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } });
    expect(classifyMastodonError(refused, "x", now).message).toContain("ECONNREFUSED");
  });

  it("429 waits until X-RateLimit-Reset", () => {
    const err = classifyMastodonError(httpError(429, "Too many requests", { "X-RateLimit-Reset": new Date(now + 125_000).toISOString() }), "x", now);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterMs).toBe(125_000);
  });
});

describe("rateLimitWaitMs", () => {
  it("reads Retry-After when there is no reset time, never waits under a second, defaults to five minutes", () => {
    expect(rateLimitWaitMs(new Headers({ "retry-after": "30" }), now)).toBe(30_000);
    expect(rateLimitWaitMs(new Headers({ "x-ratelimit-reset": new Date(now - 5000).toISOString() }), now)).toBe(1000);
    expect(rateLimitWaitMs(new Headers(), now)).toBe(DEFAULT_RATE_LIMIT_WAIT_MS);
  });
});
