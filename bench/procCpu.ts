import fs from "node:fs";
import path from "node:path";

/**
 * CPU time of other processes, from /proc (Linux). On a shared, overloaded machine wall-clock
 * latency mostly measures the queue for a core; CPU milliseconds per request do not drift
 * with the neighbours' load, so they say where the time goes (web, PostgreSQL, Redis).
 */

const TICK_MS = 10; // USER_HZ is 100 on Linux

interface Stat {
  ppid: number;
  /** utime + stime, and the same for children already waited for (exited backends). */
  own: number;
  children: number;
}

export function stat(pid: number): Stat | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command (which may hold spaces) start after its closing parenthesis.
    const f = text.slice(text.lastIndexOf(")") + 2).split(" ").map(Number);
    return { ppid: f[1]!, own: (f[11]! + f[12]!) * TICK_MS, children: (f[13]! + f[14]!) * TICK_MS };
  } catch {
    return undefined;
  }
}

export const allPids = () => fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map(Number);

/** CPU ms of a process alone. */
export const cpuOf = (pid: number | undefined): number => (pid ? (stat(pid)?.own ?? 0) : 0);

/** CPU ms of a process and every child it has had (PostgreSQL's postmaster and its backends). */
export function cpuOfTree(root: number | undefined): number {
  if (!root) return 0;
  const top = stat(root);
  if (!top) return 0;
  let total = top.own + top.children;
  for (const pid of allPids()) {
    const s = stat(pid);
    if (s && s.ppid === root) total += s.own;
  }
  return total;
}

/** The postmaster of a PostgreSQL data directory (first line of postmaster.pid). */
export function postmasterPid(dataDir: string): number | undefined {
  try {
    return Number(fs.readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]) || undefined;
  } catch {
    return undefined;
  }
}

/** The redis-server listening on `port` (its process title names the port). */
export function redisPid(port: number): number | undefined {
  for (const pid of allPids()) {
    try {
      // Redis rewrites its title in place ("/usr/bin/redis-server 127.0.0.1:PORT", NUL-padded).
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0+$/, "");
      if (/(^|\/)redis-server \S+:\d+$/.test(cmd) && cmd.endsWith(`:${port}`)) return pid;
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}
