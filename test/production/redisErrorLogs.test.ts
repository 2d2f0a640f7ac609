import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "@/test/helpers/freePort";
import { startRedisCluster, type RedisCluster } from "@/test/helpers/redisProcesses";
import { createTestDatabase } from "@/test/helpers/testDb";
import { startWorkerProcess, type WorkerProcess } from "@/test/helpers/workerProcess";

/**
 * A worker whose Redis keeps failing must neither spin nor flood the logs: pointed at a
 * Cluster node as if it were a single Redis (every command answers MOVED), it printed
 * 285,788 lines in 20 s; pointed at nothing, it must stay quiet too.
 */
const WINDOW_MS = 15_000;

describe("Redis errors back off and logs are rate-limited", () => {
  let cluster: RedisCluster;
  let testDb: Awaited<ReturnType<typeof createTestDatabase>>;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    cluster = await startRedisCluster();
    testDb = await createTestDatabase();
  }, 120_000);
  afterAll(async () => {
    for (const w of workers) {
      w.kill("SIGKILL");
      await w.exited;
    }
    await testDb?.drop();
    await cluster?.close();
  });

  /** Lines the worker prints in a window that starts once it has begun working (its start-up line). */
  async function linesInWindow(redisEnv: Record<string, string>): Promise<{ lines: number; output: string }> {
    const worker = startWorkerProcess({
      DATABASE_URL: testDb.url,
      POSTMORE_SECRET: randomBytes(32).toString("hex"),
      QUEUE_BACKEND: "redis",
      QUEUE_PREFIX: `{el${randomBytes(3).toString("hex")}}`,
      LOG_LEVEL: "info",
      ...redisEnv,
    });
    workers.push(worker);
    const deadline = Date.now() + 60_000;
    while (!worker.output().includes("worker starting")) {
      if (Date.now() > deadline || worker.output().length > 1_000_000) throw new Error(`no start-up line:\n${worker.output().slice(0, 4000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const before = worker.output().length;
    // A measuring window, not a handshake: what an operator's log receives in 15 s.
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    const output = worker.output().slice(before);
    return { lines: output.split("\n").filter(Boolean).length, output };
  }

  it("answers MOVED from a Cluster node addressed as a single Redis with a warning and a few lines, not a flood", async () => {
    const node = cluster.nodes[0]!;
    const { lines, output } = await linesInWindow({ REDIS_HOST: "127.0.0.1", REDIS_PORT: String(node.port) });
    console.log(`MOVED: ${lines} log lines in ${WINDOW_MS} ms`);
    expect(lines, output.slice(0, 4000)).toBeLessThan(40);
    const all = workers.at(-1)!.output();
    expect(all).toContain("Set REDIS_CLUSTER_NODES");
  }, 120_000);

  it("prints a few lines, not one per retry, while Redis is unreachable", async () => {
    const { lines, output } = await linesInWindow({ REDIS_HOST: "127.0.0.1", REDIS_PORT: String(await freePort()) });
    console.log(`unreachable: ${lines} log lines in ${WINDOW_MS} ms`);
    expect(lines, output.slice(0, 4000)).toBeLessThan(40);
  }, 120_000);
});
