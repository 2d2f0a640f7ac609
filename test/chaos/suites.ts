import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPds, type TestPds } from "../helpers/pds";
import { BACKENDS } from "../helpers/queueBackends";
import { faultyNetworkScenario } from "./networkScenario";
import { baselineScenario, threeWorkersScenario, workerKillScenario, type ScenarioResult } from "./processScenarios";
import { postgresRestartScenario, queueWipeScenario, redisDownApiScenario, redisRestartScenario } from "./storeScenarios";

/**
 * The chaos scenarios as vitest suites, sized by the caller: the *.chaos.ts files run them
 * at full size (`npm run test:chaos`), ci.test.ts runs every one small.
 */

/** One real PDS for the file that calls this (at top level). */
export function usePds(): () => TestPds {
  let pds: TestPds | undefined;
  beforeAll(async () => {
    pds = await startTestPds();
  }, 120_000);
  afterAll(async () => {
    await pds?.close();
  });
  return () => {
    if (!pds) throw new Error("the PDS did not start");
    return pds;
  };
}

/** Test timeout for a scenario of n posts. */
const budget = (n: number) => 600_000 + n * 1_000;

function expectExactlyOnce({ figures, finished }: ScenarioResult): void {
  expect({ lost: figures.lost, duplicated: figures.duplicated, foreignKeys: figures.foreignKeys }).toEqual({ lost: 0, duplicated: 0, foreignKeys: 0 });
  expect(figures.dbPublished).toBe(figures.scheduled);
  expect(finished).toBe(true);
}

export function describeBaseline(pds: () => TestPds, n: number): void {
  describe.each(BACKENDS)("baseline: the same burst with nothing broken (%s)", (kind) => {
    it(`publishes all ${n} posts exactly once`, async () => {
      expectExactlyOnce(await baselineScenario(pds(), kind, n));
    }, budget(n));
  });
}

export function describeWorkerKill(pds: () => TestPds, n: number): void {
  describe.each(BACKENDS)("SIGKILL the worker 3 times during a burst (%s)", (kind) => {
    it(`publishes all ${n} posts exactly once`, async () => {
      const r = await workerKillScenario(pds(), kind, n);
      expectExactlyOnce(r);
      for (const count of r.notes.atKill as number[]) expect(count).toBeLessThan(n);
    }, budget(n));
  });
}

export function describeRedisRestart(pds: () => TestPds, n: number): void {
  describe("restart Redis (AOF on) during a burst (redis)", () => {
    it(`publishes all ${n} posts exactly once`, async () => {
      const r = await redisRestartScenario(pds(), n);
      expectExactlyOnce(r);
      expect(r.notes.workerAlive).toBe(true);
    }, budget(n));
  });
}

export function describeQueueWipe(pds: () => TestPds, n: number): void {
  describe.each(BACKENDS)("the queue store loses everything with posts pending (%s)", (kind) => {
    it(`the reconciler restores all ${n}`, async () => {
      const r = await queueWipeScenario(pds(), kind, n);
      expect(r.notes.queuedBefore).toBe(n);
      expect(r.notes.queuedAfterWipe).toBe(0);
      expectExactlyOnce(r);
    }, budget(n));
  });
}

export function describePostgresRestart(pds: () => TestPds, n: number): void {
  describe.each(BACKENDS)("restart PostgreSQL during a burst (%s)", (kind) => {
    it(`the worker recovers by itself and publishes all ${n}`, async () => {
      const r = await postgresRestartScenario(pds(), kind, n);
      expect(r.notes.workerSurvived, String(r.notes.output)).toBe(true);
      expectExactlyOnce(r);
    }, budget(n));
  });
}

export function describeThreeWorkers(pds: () => TestPds, n: number): void {
  describe.each(BACKENDS)("three worker processes at once (%s)", (kind) => {
    it(`publishes all ${n} once, spread across the three`, async () => {
      const r = await threeWorkersScenario(pds(), kind, n);
      expectExactlyOnce(r);
      const perWorker = r.notes.perWorker as number[];
      expect(perWorker.reduce((a, b) => a + b, 0)).toBe(n);
      // Every process takes part. How evenly is a matter of timing on shared cores (CI saw 4/26/30
      // on Redis once, where a burst of 60 drains in under a second): not asserted beyond one each.
      for (const count of perWorker) expect(count).toBeGreaterThanOrEqual(1);
    }, budget(n));
  });
}

export function describeFaultyNetwork(pds: () => TestPds, n: number): void {
  describe.each(BACKENDS)("a fault-injecting proxy between worker and PDS (%s)", (kind) => {
    it(`publishes all ${n} exactly once within 4 attempts, honouring Retry-After`, async () => {
      const r = await faultyNetworkScenario(pds(), kind, n);
      expectExactlyOnce(r);
      expect(r.notes.failed).toBe(0);
      expect(r.notes.maxRetries).toBeLessThanOrEqual(3);
      expect(r.notes.earlyAfter429).toBe(0);
      const counts = r.notes.counts as Record<string, number>;
      for (const kindOfFault of ["5xx", "timeout", "drop", "429"]) expect(counts[kindOfFault]).toBeGreaterThan(0);
    }, budget(n));
  });
}

export function describeRedisDownApi(pds: () => TestPds, n: number): void {
  describe("Redis down while posts are created through the API (redis)", () => {
    it(`answers 201 and publishes all ${n} once Redis is back`, async () => {
      const r = await redisDownApiScenario(pds(), n);
      expect(r.notes.statuses).toEqual([201]);
      expectExactlyOnce(r);
    }, budget(n));
  });
}
