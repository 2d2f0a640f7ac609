import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedisCluster, type RedisCluster } from "@/test/helpers/redisProcesses";
import { startFailoverRig, type FailoverRig } from "./failoverRig";

/**
 * REDIS_CLUSTER_NODES against a real 3-master + 3-replica Redis Cluster (Debian's
 * redis-server, started here on loopback ports): posts scheduled through the API go out
 * exactly once on the real local PDS while the master holding the queue's hash slot is
 * SIGKILLed mid-burst; the worker finds the promoted replica by itself.
 */
describe("Redis Cluster", () => {
  let cluster: RedisCluster;
  let rig: FailoverRig;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    rig = await startFailoverRig({ REDIS_CLUSTER_NODES: cluster.seeds });
  }, 180_000);
  afterAll(async () => {
    await rig?.close();
    await cluster?.close();
  });

  it("names the Cluster seeds in the worker's start-up line", async () => {
    expect(rig.ctx.config.queue.redis.clusterNodes).toHaveLength(3);
    await waitForOutput(rig, "worker starting");
    expect(rig.worker.output()).toContain(`Redis Cluster (seeds ${cluster.seeds})`);
  });

  it("publishes every post exactly once while the queue's master is SIGKILLed mid-burst", async () => {
    const prefix = rig.ctx.config.queue.prefix;
    await rig.burst(25, async () => {
      const master = await cluster.masterOf(`${prefix}:posts:meta`);
      await master.kill();
    });
    await cluster.waitHealthy();
  }, 240_000);
});

async function waitForOutput(rig: FailoverRig, text: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!rig.worker.output().includes(text)) {
    if (Date.now() > deadline) throw new Error(`worker never printed "${text}":\n${rig.worker.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
