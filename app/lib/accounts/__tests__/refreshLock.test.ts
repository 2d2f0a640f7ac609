import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withAccountLock } from "@/app/lib/accounts/lock";
import { refreshAccountSessionWithOutcome } from "@/app/lib/accounts/refresh";
import { loadPlatformAccount } from "@/app/lib/accounts/service";
import type { AppContext } from "@/app/lib/context";
import { processRefreshAccountTokensJob } from "@/app/lib/queues/tokenRefreshQueue";
import { createMemoryPlatform, insertMemoryAccount, type MemoryPlatform } from "@/test/helpers/memoryPlatform";
import { waitForAdvisoryLock } from "@/test/helpers/locks";
import { createPeerContext, createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";

/**
 * The refresh and any other holder of withAccountLock must exclude each other, across
 * processes, or two refreshes of one account could race.
 */

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe("the refresh's account lock", () => {
  let t: TestContext;
  let other: AppContext;
  let platform: MemoryPlatform;
  let unregister: () => void;
  let userId: string;

  beforeAll(async () => {
    t = await createTestContext("postgres");
    // Another process on the same database.
    other = createPeerContext(t, {  });
    platform = createMemoryPlatform();
    unregister = platform.register(t.ctx, other);
    userId = (await createTestUser(t.ctx)).user.id;
  });
  afterAll(async () => {
    unregister?.();
    await other?.database.close();
    await t?.close();
  });

  it("waits while another process holds withAccountLock", async () => {
    const { id } = await insertMemoryAccount(t.ctx, userId);
    let releasedAt: number | undefined;
    let calledAt = 0;
    const refreshSession = platform.refreshSession;
    platform.refreshSession = async (account) => {
      calledAt = Date.now();
      return refreshSession(account);
    };
    try {
      let release!: () => void;
      const held = withAccountLock(other, id, () => new Promise<void>((r) => (release = r)));
      await waitForAdvisoryLock(t.ctx.database.pool);
      const refreshing = refreshAccountSessionWithOutcome(t.ctx, id, { force: true });
      // A window in which a refresh that ignored the lock would reach the platform.
      await sleep(400);
      releasedAt = Date.now();
      release();
      await held;
      const outcome = await refreshing;
      expect(outcome.refreshed).toBe(true);
      // The platform was called only once the other process had let go.
      expect(calledAt).toBeGreaterThanOrEqual(releasedAt!);
    } finally {
      platform.refreshSession = refreshSession;
    }
  });

  it("holds off withAccountLock until the new tokens are committed", async () => {
    const { id } = await insertMemoryAccount(t.ctx, userId);
    const refreshSession = platform.refreshSession;
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    platform.refreshSession = async (account) => {
      entered();
      // The lock is held through this call; the other process tries meanwhile.
      await sleep(300);
      return refreshSession(account);
    };
    try {
      const refreshing = refreshAccountSessionWithOutcome(t.ctx, id, { force: true });
      await inside;
      const seen = await withAccountLock(other, id, () => loadPlatformAccount(other, id));
      const { account } = await refreshing;
      expect(seen.credentials.refreshJwt).toBe(account.credentials.refreshJwt);
    } finally {
      platform.refreshSession = refreshSession;
    }
  });

  it("the refresh job skips a deleted account and one that needs a person, without calling the platform", async () => {
    const gone = await insertMemoryAccount(t.ctx, userId);
    await t.ctx.database.pool.query("DELETE FROM social_accounts WHERE id = $1", [gone.id]);
    const reauth = await insertMemoryAccount(t.ctx, userId);
    await t.ctx.database.pool.query("UPDATE social_accounts SET status = 'needs_reauth' WHERE id = $1", [reauth.id]);
    const before = platform.refreshes;
    await expect(processRefreshAccountTokensJob(t.ctx, { accountId: gone.id })).resolves.toEqual({ outcome: "skipped", reason: "account deleted" });
    await expect(processRefreshAccountTokensJob(t.ctx, { accountId: reauth.id })).resolves.toEqual({ outcome: "skipped", reason: "account needs_reauth" });
    expect(platform.refreshes).toBe(before);
  });
});
