import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedisSentinels, type RedisSentinelGroup } from "@/test/helpers/redisProcesses";
import { startFailoverRig, type FailoverRig } from "./failoverRig";

/**
 * REDIS_SENTINELS against a real master, replica and three Sentinels (Debian's redis-server,
 * started here on loopback ports, the Sentinels behind REDIS_SENTINEL_PASSWORD): the master
 * is SIGKILLed mid-burst, Sentinel promotes the replica, and every post goes out exactly
 * once on the real local PDS.
 */
const SENTINEL_PASSWORD = "sentinel-only-secret";

describe("Redis Sentinel", () => {
  let group: RedisSentinelGroup;
  let rig: FailoverRig;

  beforeAll(async () => {
    group = await startRedisSentinels({ sentinelPassword: SENTINEL_PASSWORD });
    rig = await startFailoverRig({
      REDIS_SENTINELS: group.seeds,
      REDIS_SENTINEL_NAME: group.name,
      REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD,
    });
  }, 180_000);
  afterAll(async () => {
    await rig?.close();
    await group?.close();
  });

  it("names the Sentinels, not localhost:6379, in the worker's start-up line", async () => {
    const deadline = Date.now() + 60_000;
    while (!rig.worker.output().includes("worker starting")) {
      if (Date.now() > deadline) throw new Error(`no start-up line:\n${rig.worker.output()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const line = rig.worker.output().split("\n").find((l) => l.includes("worker starting"))!;
    expect(line).toContain(`via Sentinels ${group.seeds}`);
    expect(line).not.toContain("localhost:6379");
    expect(line).not.toContain(SENTINEL_PASSWORD);
  });

  it("publishes every post exactly once while the master is SIGKILLed mid-burst", async () => {
    await rig.burst(25, () => group.master.kill());
    expect(await group.currentMasterPort()).toBe(group.replica.port);
  }, 240_000);
});
