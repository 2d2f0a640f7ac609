import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MastodonDouble } from "@/test/mastodon/mastodonDouble";
import { PermanentPlatformError, RateLimitedError, ReauthRequiredError, TransientPlatformError } from "../../platformErrors";
import type { MastodonImage } from "../media";
import { publishStatuses, type MastodonAccount, type MastodonPublishRequest, type MastodonPublishedStatus } from "../publish";

/** Publishing through masto against the Mastodon double over loopback. */

const HOUR = 60 * 60 * 1000;
let clock: number;
let double: MastodonDouble;
let account: MastodonAccount;

beforeEach(async () => {
  clock = Date.parse("2026-05-01T09:00:00Z");
  double = await new MastodonDouble({ now: () => clock, mediaProcessingPolls: 2 }).start();
  account = { instanceUrl: double.url, accessToken: double.issueToken(), remoteAccountId: double.user.id };
});

afterEach(async () => {
  await double.close();
});

function publish(request: MastodonPublishRequest, onSegment?: (i: number, s: MastodonPublishedStatus) => void) {
  return publishStatuses(account, request, { http: { timeoutMs: 10_000 }, media: { intervalMs: 10, timeoutMs: 10_000 }, now: () => clock, onSegment });
}

function png(alt: string): MastodonImage {
  return { bytes: Buffer.from("89504e470d0a1a0a0000000d4948445200000001", "hex"), mimeType: "image/png", alt };
}

describe("publishing to Mastodon", () => {
  it("publishes one status with visibility, content warning and language", async () => {
    const result = await publish({ segments: [{ text: "Hello fediverse", idempotencyKey: "k1" }], visibility: "unlisted", spoilerText: "greeting", language: "en" });
    const [status] = double.statusesOf();
    expect(double.statusesOf()).toHaveLength(1);
    expect(status).toMatchObject({ text: "Hello fediverse", visibility: "unlisted", spoilerText: "greeting", language: "en", idempotencyKey: "k1" });
    expect(result.root).toEqual({ id: status!.id, uri: `${double.url}/users/alice/statuses/${status!.id}`, url: `${double.url}/@alice/${status!.id}` });
    expect(result.alreadyPublished).toBe(false);
  });

  it("publishes a thread as a chain of replies, in order", async () => {
    const result = await publish({ segments: ["one", "two", "three"].map((text, i) => ({ text, idempotencyKey: `t${i}` })) });
    const statuses = double.statusesOf();
    expect(statuses.map((s) => s.text)).toEqual(["one", "two", "three"]);
    expect(statuses.map((s) => s.inReplyToId)).toEqual([null, statuses[0]!.id, statuses[1]!.id]);
    expect(result.statuses.map((s) => s.id)).toEqual(statuses.map((s) => s.id));
  });

  it("uploads images with their alt text and waits until the instance has processed them", async () => {
    await publish({ segments: [{ text: "two pictures", images: [png("a red square"), png("a blue square")], idempotencyKey: "img" }] });
    const [status] = double.statusesOf();
    expect(status!.mediaIds.map((id) => double.media.get(id)!.description)).toEqual(["a red square", "a blue square"]);
    // 202 on upload, 206 twice, then 200: the status was only posted once both were ready.
    expect(double.requests.filter((r) => r.route === "GET /api/v1/media/{id}").map((r) => r.status)).toEqual([206, 206, 200, 206, 206, 200]);
  });

  it("a retry after a lost response publishes exactly one status (Idempotency-Key within the hour)", async () => {
    double.failNext("POST /api/v1/statuses", { status: "lost" });
    const request = { segments: [{ text: "only once", idempotencyKey: "lost-1" }] };
    await expect(publish(request)).rejects.toBeInstanceOf(TransientPlatformError);
    expect(double.statusesOf()).toHaveLength(1);
    clock += 30 * 60 * 1000;
    const retry = await publish({ ...request, unclearSince: new Date(clock - 30 * 60 * 1000) });
    expect(double.statusesOf()).toHaveLength(1);
    expect(retry.root.id).toBe(double.statusesOf()[0]!.id);
  });

  it("a retry more than an hour after a lost response finds the status instead of posting it again", async () => {
    const unclearSince = new Date(clock);
    double.failNext("POST /api/v1/statuses", { status: "lost" });
    const request = { segments: [{ text: "still only once @bob@example.social", idempotencyKey: "lost-2" }], spoilerText: "cw" };
    await expect(publish(request)).rejects.toBeInstanceOf(TransientPlatformError);
    await publish({ segments: [{ text: "something else in between", idempotencyKey: "other" }] });
    clock += 2 * HOUR; // Mastodon has forgotten the key by now
    const retry = await publish({ ...request, unclearSince });
    expect(double.statusesOf().filter((s) => s.text.startsWith("still only once"))).toHaveLength(1);
    expect(retry.alreadyPublished).toBe(true);
    expect(double.requests.filter((r) => r.route === "POST /api/v1/statuses")).toHaveLength(2);
  });

  /** Publishes segment 1, then the instance answers 503 to segment 2. */
  async function halfDone(segments: MastodonPublishRequest["segments"]) {
    const seen: MastodonPublishedStatus[] = [];
    const attempt = publish({ segments }, (i, s) => {
      seen[i] = s;
      if (i === 0) double.failNext("POST /api/v1/statuses", { status: 503 });
    });
    await expect(attempt).rejects.toBeInstanceOf(TransientPlatformError);
    expect(double.statusesOf().map((s) => s.text)).toEqual(["first"]);
    return seen;
  }
  const thread = [
    { text: "first", idempotencyKey: "h1" },
    { text: "second", idempotencyKey: "h2" },
  ];

  it("finishes a half-done thread within the hour without repeating its first part (Idempotency-Key)", async () => {
    await halfDone(thread);
    clock += 10 * 60 * 1000;
    await publish({ segments: thread });
    const statuses = double.statusesOf();
    expect(statuses.map((s) => s.text)).toEqual(["first", "second"]);
    expect(statuses[1]!.inReplyToId).toBe(statuses[0]!.id);
  });

  it("finishes a half-done thread hours later from the recorded first part", async () => {
    const seen = await halfDone(thread);
    clock += 3 * HOUR; // the key alone could no longer protect segment 1
    const result = await publish({ segments: thread, published: seen });
    const statuses = double.statusesOf();
    expect(statuses.map((s) => s.text)).toEqual(["first", "second"]);
    expect(statuses[1]!.inReplyToId).toBe(statuses[0]!.id);
    expect(result.root.id).toBe(statuses[0]!.id);
  });
});

describe("Mastodon errors", () => {
  it("401: the token is no longer accepted, the account must be reconnected", async () => {
    double.revokeToken(account.accessToken);
    await expect(publish({ segments: [{ text: "x", idempotencyKey: "a" }] })).rejects.toBeInstanceOf(ReauthRequiredError);
  });

  it("422: permanent, with Mastodon's own message", async () => {
    const err = await publish({ segments: [{ text: "y".repeat(501), idempotencyKey: "b" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentPlatformError);
    expect((err as Error).message).toContain("Text character limit of 500 exceeded");
    expect(double.statusesOf()).toHaveLength(0);
  });

  it("429: wait until X-RateLimit-Reset", async () => {
    double.failNext("POST /api/v1/statuses", { status: 429, resetInSeconds: 90 });
    const err = await publish({ segments: [{ text: "z", idempotencyKey: "c" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterMs).toBe(90_000);
  });

  it("5xx and an unreachable instance: try again later", async () => {
    for (const status of [500, 502, 503] as const) {
      double.failNext("POST /api/v1/statuses", { status });
      await expect(publish({ segments: [{ text: "w", idempotencyKey: `d${status}` }] })).rejects.toBeInstanceOf(TransientPlatformError);
    }
    double.failNext("POST /api/v2/media", { status: 503 });
    await expect(publish({ segments: [{ text: "w", images: [png("alt")], idempotencyKey: "m" }] })).rejects.toBeInstanceOf(TransientPlatformError);
    expect(double.statusesOf()).toHaveLength(0);
    const gone = { ...account, instanceUrl: "http://127.0.0.1:1" };
    await expect(publishStatuses(gone, { segments: [{ text: "w", idempotencyKey: "e" }] }, { http: { timeoutMs: 5000 }, media: { intervalMs: 10, timeoutMs: 1000 } })).rejects.toBeInstanceOf(TransientPlatformError);
  });
});
