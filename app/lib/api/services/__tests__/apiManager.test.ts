import { describe, expect, it } from "vitest";
import type { PlatformService } from "@/app/lib/api/platform";
import { getPlatformService, registerPlatformService } from "../apiManager";
import { blueSkyService } from "../blueSkyService";

describe("apiManager", () => {
  it("serves Bluesky by default and lets a test swap a service in and back out", async () => {
    expect(getPlatformService("bluesky")).toBe(blueSkyService);
    const standIn: PlatformService = {
      platform: "bluesky",
      descriptor: blueSkyService.descriptor,
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
    const restore = registerPlatformService(standIn);
    expect(getPlatformService("bluesky")).toBe(standIn);
    restore();
    expect(getPlatformService("bluesky")).toBe(blueSkyService);
    restore(); // twice is harmless
    expect(getPlatformService("bluesky")).toBe(blueSkyService);
  });
});
