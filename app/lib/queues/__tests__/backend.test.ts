import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, testQueueBackend } from "@/test/helpers/queueBackends";
import { createTestDatabase } from "@/test/helpers/testDb";

describe.each(BACKENDS)("queue backend on %s", (kind) => {
  let testDb: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    testDb = await createTestDatabase();
  });
  afterAll(async () => {
    await testDb.drop();
  });

  it("runs an immediate and a delayed job through the same Queue/Worker API", async () => {
    const backend = testQueueBackend(kind, testDb.url);
    const queue = backend.createQueue<{ n: number }>("smoke");
    const seen: Array<{ n: number; at: number }> = [];
    const done = new Promise<void>((resolve) => {
      const worker = backend.createWorker<{ n: number }>("smoke", async (job) => {
        seen.push({ n: job.data.n, at: Date.now() });
        if (seen.length === 2) setImmediate(() => void worker.close().then(resolve));
      });
    });
    const start = Date.now();
    await queue.add("now", { n: 1 }, { jobId: "job-now" });
    await queue.add("later", { n: 2 }, { jobId: "job-later", delay: 1500 });
    // Same jobId again is a no-op: the queue de-duplicates by id.
    await queue.add("now", { n: 1 }, { jobId: "job-now" });
    await done;
    expect(seen.map((s) => s.n)).toEqual([1, 2]);
    expect(seen[1]!.at - start).toBeGreaterThanOrEqual(1400);
    await queue.close();
  });
});
