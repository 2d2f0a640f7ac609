import fs from "node:fs";
import path from "node:path";

/**
 * CPU time spent by this Node process and by a PostgreSQL cluster (the postmaster and its
 * backends) over a stretch of a benchmark. On a shared, overloaded machine wall-clock
 * figures drift with everyone else's load; CPU milliseconds per unit of work do much less.
 */

const TICK_MS = 10; // Linux USER_HZ is 100 on every platform Node supports.

function processTicks(pid: number, withReapedChildren = false): number {
  try {
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15, and
    // cutime/cstime 16/17 (children that exited and were reaped: closed connections' backends).
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const own = Number(fields[11]) + Number(fields[12]);
    return withReapedChildren ? own + Number(fields[13]) + Number(fields[14]) : own;
  } catch {
    return 0; // exited meanwhile
  }
}

function clusterTicks(dataDir: string): number {
  let postmaster: number;
  try {
    postmaster = Number(fs.readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
  } catch {
    return 0;
  }
  let ticks = processTicks(postmaster, true);
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === postmaster) ticks += processTicks(Number(entry));
    } catch {
      // gone
    }
  }
  return ticks;
}

export interface CpuUse {
  nodeMs: number;
  postgresMs: number;
}

/** Starts measuring; the returned function gives the CPU used since. */
export function cpuMeter(postgresDataDir: string): () => CpuUse {
  const node0 = process.cpuUsage();
  const pg0 = clusterTicks(postgresDataDir);
  return () => {
    const node = process.cpuUsage(node0);
    return { nodeMs: Math.round((node.user + node.system) / 1000), postgresMs: (clusterTicks(postgresDataDir) - pg0) * TICK_MS };
  };
}
