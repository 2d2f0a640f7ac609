import { describe, expect, it } from "vitest";
import { createOutbound } from "@/app/lib/net/outbound";
import { createPlatformRegistry, platformDescriptors } from "../../services/apiManager";
import { createMastodonPlatformService, MASTODON_DESCRIPTOR } from "../platformService";

const service = createMastodonPlatformService({ http: { timeoutMs: 1000 }, media: { intervalMs: 10, timeoutMs: 100 } });
const content = (text: string) => ({ segments: [{ text }] });

describe("Mastodon behind the platform interface", () => {
  it("counts against its descriptor: 500 characters, every URL as 23", () => {
    const url = `https://example.com/${"a".repeat(200)}`;
    // 470 + 1 + 23 = 494 as Mastodon counts it, though the raw text is 671 characters long.
    expect(service.validate(content(`${"x".repeat(470)} ${url}`))).toEqual([]);
    expect(service.validate(content("x".repeat(501)))).toEqual(["Mastodon: 501 characters, the instance allows 500"]);
  });

  it("declares tokens that never expire and an Idempotency-Key per segment, fresh each time", () => {
    expect(MASTODON_DESCRIPTOR.auth).toEqual({ kinds: ["oauth"], tokensExpire: false });
    const keys = [...service.newSegmentKeys(3), ...service.newSegmentKeys(3)];
    expect(new Set(keys).size).toBe(6);
  });

  it("is listed for the composer next to Bluesky", () => {
    const ctx = {
      platforms: createPlatformRegistry({
        bluesky: { plcUrl: "http://127.0.0.1:9", handleResolverUrl: "http://127.0.0.1:9", timeoutMs: 1000, outbound: createOutbound({ allowlist: undefined }) },
        mastodon: { http: { timeoutMs: 1000 }, media: { intervalMs: 10, timeoutMs: 100 } },
      }),
    };
    expect(platformDescriptors(ctx).map((d) => [d.name, d.text.maxLength, d.text.counting])).toEqual([
      ["bluesky", 300, "graphemes"],
      ["mastodon", 500, "graphemes-with-urls"],
    ]);
  });
});
