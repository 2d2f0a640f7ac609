import net from "node:net";
import { describe, expect, it } from "vitest";
import { XRPCError } from "@atproto/api";
import {
  AccountGoneError,
  AuthPlatformError,
  PermanentPlatformError,
  RateLimitedError,
  TransientPlatformError,
} from "@/app/lib/api/platformErrors";
import { createOutbound } from "../../../net/outbound";
import { pdsClient } from "../client";
import { classifyError, DEFAULT_RATE_LIMIT_WAIT_MS, retryAfterMs } from "../errors";

describe("classifyError", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");

  it("maps XRPC answers to the platform error classes", () => {
    const as = (status: number, name?: string, message?: string, headers?: Record<string, string>) =>
      classifyError(new XRPCError(status, name, message, headers), "publishing the post", now);
    expect(as(400, "ExpiredToken", "Token has expired")).toBeInstanceOf(AuthPlatformError);
    expect(as(400, "InvalidToken")).toBeInstanceOf(AuthPlatformError);
    expect(as(401, "AuthenticationRequired")).toBeInstanceOf(AuthPlatformError);
    expect(as(400, "AccountDeactivated")).toBeInstanceOf(AccountGoneError);
    expect(as(400, "AccountTakedown")).toBeInstanceOf(AccountGoneError);
    expect(as(400, "RepoNotFound")).toBeInstanceOf(AccountGoneError);
    expect(as(500, "InternalServerError")).toBeInstanceOf(TransientPlatformError);
    expect(as(503)).toBeInstanceOf(TransientPlatformError);
    expect(as(2)).toBeInstanceOf(TransientPlatformError);

    const invalid = as(400, "InvalidRequest", "Invalid app.bsky.feed.post record: Record/text must not be longer than 300 graphemes");
    expect(invalid).toBeInstanceOf(PermanentPlatformError);
    expect(invalid.message).toMatch(/^Bluesky refused publishing the post: .*300 graphemes/);

    const limited = as(429, "RateLimitExceeded", "slow down", { "ratelimit-reset": String(now / 1000 + 42) });
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect((limited as RateLimitedError).retryAfterMs).toBe(42_000);
  });

  it("treats anything that is not an HTTP answer as transient", () => {
    expect(classifyError(new TypeError("fetch failed"), "x")).toBeInstanceOf(TransientPlatformError);
    const passthrough = new PermanentPlatformError("already decided");
    expect(classifyError(passthrough, "x")).toBe(passthrough);
  });

  it("reads Retry-After (seconds or date) before RateLimit-Reset (epoch or delta)", () => {
    expect(retryAfterMs({ "retry-after": "7" }, now)).toBe(7_000);
    expect(retryAfterMs({ "retry-after": "Thu, 01 Jan 2026 00:00:30 GMT" }, now)).toBe(30_000);
    expect(retryAfterMs({ "retry-after": "3", "ratelimit-reset": String(now / 1000 + 99) }, now)).toBe(3_000);
    expect(retryAfterMs({ "ratelimit-reset": "15" }, now)).toBe(15_000);
    expect(retryAfterMs({ "ratelimit-reset": String(now / 1000 - 5) }, now)).toBe(0);
    expect(retryAfterMs({}, now)).toBe(DEFAULT_RATE_LIMIT_WAIT_MS);
  });

  it("a PDS that never answers times out as a transient error", async () => {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((s) => sockets.add(s)); // accepts, never answers
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as net.AddressInfo;
    try {
      const client = pdsClient(`http://127.0.0.1:${port}`, { timeoutMs: 300, outbound: createOutbound({ allowlist: `127.0.0.1:${port}` }) });
      const started = Date.now();
      const err = await client.com.atproto.server.describeServer().catch((e) => classifyError(e, "asking the server"));
      expect(err).toBeInstanceOf(TransientPlatformError);
      expect((err as Error).message).toMatch(/timed out/);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });
});
