import fs from "node:fs";

/**
 * Which PostgreSQL connections belong to a process tree: the local ports of its TCP sockets
 * to `pgPort` (its fds → socket inodes → /proc/net/tcp), to match against
 * pg_stat_activity.client_port. Includes children (a Next server may fork one).
 */
export function pgClientPorts(rootPid: number, pgPort: number): Set<number> {
  const pids = processTree(rootPid);
  const inodes = new Set<string>();
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        // the fd closed while we looked
      }
    }
  }
  const ports = new Set<number>();
  for (const line of fs.readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 10) continue;
    const localPort = parseInt(cols[1]!.split(":")[1]!, 16);
    const remotePort = parseInt(cols[2]!.split(":")[1]!, 16);
    if (remotePort === pgPort && inodes.has(cols[9]!)) ports.add(localPort);
  }
  return ports;
}

function processTree(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parents.set(Number(entry), ppid);
    } catch {
      // exited meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of parents) if (ppid === tree[i]) tree.push(pid);
  }
  return tree;
}
