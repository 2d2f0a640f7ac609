import { cpuOf, cpuOfTree, postmasterPid, redisPid } from "./procCpu";

/**
 * CPU time spent by this Node process, a PostgreSQL cluster (the postmaster and its backends,
 * counting connections that closed meanwhile) and optionally a redis-server over a stretch of
 * a benchmark. On a shared, overloaded machine wall-clock figures drift with everyone else's
 * load; CPU milliseconds per unit of work drift much less, and say where the time goes.
 */

export interface CpuUse {
  nodeMs: number;
  postgresMs: number;
  redisMs: number;
  totalMs: number;
}

/** Starts measuring; the returned function gives the CPU used since. */
export function cpuMeter(on: { postgresDir: string; redisPort?: number }): () => CpuUse {
  const pg = postmasterPid(on.postgresDir);
  const redis = on.redisPort ? redisPid(on.redisPort) : undefined;
  const read = () => ({ pg: cpuOfTree(pg), redis: cpuOf(redis) });
  const node0 = process.cpuUsage();
  const before = read();
  return () => {
    const node = process.cpuUsage(node0);
    const after = read();
    const use = { nodeMs: Math.round((node.user + node.system) / 1000), postgresMs: after.pg - before.pg, redisMs: after.redis - before.redis };
    return { ...use, totalMs: use.nodeMs + use.postgresMs + use.redisMs };
  };
}
