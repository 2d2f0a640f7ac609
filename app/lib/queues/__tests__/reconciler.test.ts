import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "@/app/lib/context";
import { createPost } from "@/app/lib/posts/createPost";
import { getPostQueue } from "@/app/lib/queues/postQueue";
import { reconcileOnce } from "@/app/lib/queues/reconciler";
import { insertMemoryAccount } from "@/test/helpers/memoryPlatform";
import { waitFor } from "@/test/helpers/postsApi";
import { createPeerContext, createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";

/**
 * Two worker processes reconciling at the same moment would both re-add jobs and both fail
 * the same missed deliveries: one pass at a time, the other one steps aside at once.
 */

/** Sessions of this database waiting for a row lock. */
const rowLockWaiters = async (t: TestContext) =>
  Number(
    (
      await t.ctx.database.pool.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
      )
    ).rows[0]?.n,
  );

describe("the reconciler", () => {
  let t: TestContext;
  // Another worker process on the same database.
  let other: AppContext;
  let userId: string;
  let accountId: string;

  beforeAll(async () => {
    t = await createTestContext("postgres");
    other = createPeerContext(t, {  });
    userId = (await createTestUser(t.ctx)).user.id;
    accountId = (await insertMemoryAccount(t.ctx, userId)).id;
  });
  afterAll(async () => {
    await getPostQueue(other)?.close();
    await other?.database.close();
    await t?.close();
  });

  it("runs one pass at a time across processes: a second one started meanwhile steps aside", async () => {
    const post = await createPost(t.ctx, userId, { text: "missed while both workers were down", accountIds: [accountId], scheduledAt: new Date(Date.now() + 3600_000).toISOString() });
    const deliveryId = post.deliveries[0]!.id;
    await t.ctx.database.db.execute(sql`UPDATE deliveries SET scheduled_at = now() - interval '30 hours' WHERE id = ${deliveryId}`);
    // Hold the missed delivery's row: the first pass stops there, inside its lock, until we let go.
    const blocker = await t.ctx.database.pool.connect();
    try {
      await blocker.query("BEGIN");
      await blocker.query("SELECT id FROM deliveries WHERE id = $1 FOR UPDATE", [deliveryId]);
      const first = reconcileOnce(t.ctx);
      await waitFor("the first pass to wait for the delivery row", async () => (await rowLockWaiters(t)) === 1);

      // A second pass that ignored the lock would reach the same row and wait there too.
      let watching = true;
      const secondRanInto = waitFor("a second pass at the delivery row, or the end of the watch", async () =>
        !watching ? "watch over" : (await rowLockWaiters(t)) >= 2 ? "a second pass waiting at the row" : undefined,
      );
      try {
        await expect(Promise.race([reconcileOnce(other), secondRanInto])).resolves.toEqual({ ran: false, enqueued: 0, rerun: 0, missed: 0 });
        await expect(Promise.race([reconcileOnce(t.ctx), secondRanInto])).resolves.toMatchObject({ ran: false });
      } finally {
        watching = false;
        await secondRanInto;
      }

      await blocker.query("COMMIT");
      await expect(first).resolves.toMatchObject({ ran: true, missed: 1 });
    } finally {
      await blocker.query("ROLLBACK").catch(() => undefined);
      blocker.release();
    }
    // The lock went with the pass: the next one runs, and finds the delivery already failed.
    await expect(reconcileOnce(other)).resolves.toMatchObject({ ran: true, missed: 0 });
  });
});
