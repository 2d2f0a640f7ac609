import type { PlatformAccount, PlatformService, PlatformSession } from "@/app/lib/api/platform";
import { getPlatformService, registerPlatformService } from "@/app/lib/api/services/apiManager";
import type { AppContext } from "@/app/lib/context";

export interface RefreshMeter {
  /** Refresh calls that reached the platform service (and so the PDS). */
  calls: number;
  /** Highest number of refreshes of one account running at the same time. */
  peakPerAccount: number;
  /** Puts the real service back. */
  restore(): void;
}

/**
 * Registers, in each context (each "process"), a platform service that delegates everything
 * to `opts.inner` (default: the context's Bluesky service) and counts the refreshes passing
 * through all of them, per account and concurrently. No mock: every call still goes to the
 * real service (and the real PDS).
 */
export function meterRefreshes(ctxs: AppContext[], opts: { delayMs?: number; inner?: PlatformService } = {}): RefreshMeter {
  const inFlight = new Map<string, number>();
  const meter = { calls: 0, peakPerAccount: 0, restore: () => {} };
  const around = async (account: PlatformAccount, call: () => Promise<PlatformSession>) => {
    meter.calls += 1;
    const now = (inFlight.get(account.id) ?? 0) + 1;
    inFlight.set(account.id, now);
    meter.peakPerAccount = Math.max(meter.peakPerAccount, now);
    try {
      // Optional widening of the window in which a second refresh could overlap.
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      return await call();
    } finally {
      inFlight.set(account.id, (inFlight.get(account.id) ?? 1) - 1);
    }
  };
  const wrap = (inner: PlatformService): PlatformService => ({
    platform: inner.platform,
    descriptor: inner.descriptor,
    instanceCheck: inner.instanceCheck,
    newSegmentKeys: (count) => inner.newSegmentKeys(count),
    connect: (input) => inner.connect!(input),
    validate: (content) => inner.validate(content),
    publish: (account, request) => inner.publish(account, request),
    refreshSession: (account) => around(account, () => inner.refreshSession!(account)),
    forceRefreshTokens: (account) =>
      around(account, () => (inner.forceRefreshTokens ? inner.forceRefreshTokens(account) : inner.refreshSession!(account))),
  });
  const restores = ctxs.map((ctx) => registerPlatformService(ctx, wrap(opts.inner ?? getPlatformService(ctx, "bluesky"))));
  meter.restore = () => restores.forEach((restore) => restore());
  return meter;
}
