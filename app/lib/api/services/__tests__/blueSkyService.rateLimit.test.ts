import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RateLimitedError } from "@/app/lib/api/platformErrors";
import { setLogLevel } from "@/app/lib/logger";
import { createOutbound } from "@/app/lib/net/outbound";
import { createBlueSkyService } from "@/app/lib/api/services/blueSkyService";
import { LOOPBACK_ALLOWLIST } from "@/test/helpers/testContext";
import { startTestPds, type TestPds } from "@/test/helpers/pds";

describe("blueSkyService on a PDS with rate limits on", () => {
  let pds: TestPds;
  beforeAll(async () => {
    setLogLevel("warn");
    pds = await startTestPds({ rateLimitsEnabled: true });
  });
  afterAll(async () => {
    await pds?.close();
  });

  it("turns a 429 into RateLimitedError with the wait the PDS asked for", async () => {
    const bsky = createBlueSkyService({ plcUrl: pds.plcUrl, handleResolverUrl: pds.url, timeoutMs: 10_000, outbound: createOutbound({ allowlist: LOOPBACK_ALLOWLIST }) });
    const dave = await pds.createAccount("dave");
    const session = await bsky.connect({ identifier: dave.handle, appPassword: dave.appPassword, service: pds.url });
    // createSession allows 30 tries per 5 minutes per identifier; spend them.
    for (let i = 0; i < 31; i++) {
      await bsky.connect({ identifier: dave.did, appPassword: "wrong-wrong-wrong", service: pds.url }).catch(() => undefined);
    }
    const account = {
      id: "dave",
      remoteId: dave.did,
      handle: dave.handle,
      instanceUrl: pds.url,
      credentials: { appPassword: dave.appPassword, accessJwt: session.accessJwt, refreshJwt: "broken.refresh.token" },
    };
    const err = await bsky.forceRefreshTokens(account).catch((e) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterMs).toBeGreaterThan(0);
    expect((err as RateLimitedError).retryAfterMs).toBeLessThanOrEqual(5 * 60_000);
  });
});
