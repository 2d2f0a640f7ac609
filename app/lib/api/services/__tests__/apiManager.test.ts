import { describe, expect, it } from "vitest";
import type { PlatformService } from "@/app/lib/api/platform";
import { createOutbound } from "@/app/lib/net/outbound";
import { createPlatformRegistry, getPlatformService, registerPlatformService } from "../apiManager";

describe("apiManager", () => {
  it("serves Bluesky by default and lets a test swap a service in and back out", async () => {
    const ctx = {
      platforms: createPlatformRegistry({
        bluesky: { plcUrl: "http://127.0.0.1:9", handleResolverUrl: "http://127.0.0.1:9", timeoutMs: 1000, outbound: createOutbound({ allowlist: undefined }) },
        mastodon: { http: { timeoutMs: 1000 }, media: { intervalMs: 100, timeoutMs: 1000 } },
      }),
    };
    const blueSkyService = getPlatformService(ctx, "bluesky");
    expect(blueSkyService.platform).toBe("bluesky");
    const standIn: PlatformService = {
      platform: "bluesky",
      descriptor: blueSkyService.descriptor,
      instanceCheck: blueSkyService.instanceCheck,
      newSegmentKeys: blueSkyService.newSegmentKeys,
      connect: async () => {
        throw new Error("not used");
      },
      refreshSession: async () => {
        throw new Error("not used");
      },
      validate: () => [],
      publish: async () => ({ root: { uri: "at://x/y/z", cid: "c" }, records: [], alreadyPublished: false }),
    };
    const restore = registerPlatformService(ctx, standIn);
    expect(getPlatformService(ctx, "bluesky")).toBe(standIn);
    restore();
    expect(getPlatformService(ctx, "bluesky")).toBe(blueSkyService);
    restore(); // twice is harmless
    expect(getPlatformService(ctx, "bluesky")).toBe(blueSkyService);
  });
});
