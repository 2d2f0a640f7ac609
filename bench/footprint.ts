import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureBuild } from "@/e2e/servers";
import { freePort } from "@/test/helpers/freePort";
import { figure, sizeArg, sleep, type Bench } from "./harness";
import { allPids, stat } from "./procCpu";

/**
 * Benchmark: the idle footprint of the default install. `npm start`'s launcher (what
 * `npm start` runs: scripts/launch.mjs → dist/start.mjs, one process) with nothing configured —
 * embedded PostgreSQL, PostgreSQL queues — comes up on a fresh data dir. After 60 s idle
 * (`--idle S`) it reads the proportional set size (PSS: shared pages split between the
 * processes sharing them, so the sum is what the install really occupies) summed over every
 * process of the launcher's tree — launcher, web, worker, postmaster and its backends — then
 * the CPU all of them use over the next 60 s (the first minute, reported too, includes the
 * start-up's lazy compilation and first collections). npm's own process above it is not counted (run
 * `node scripts/launch.mjs start` to do without it).
 */
const TARGET = { pssMb: 250, idleCpuPct: 1 };
const root = path.resolve(import.meta.dirname, "..");

/** The launcher and every descendant, by parent pid. */
function tree(rootPid: number): number[] {
  const parents = new Map<number, number>();
  for (const pid of allPids()) {
    const s = stat(pid);
    if (s) parents.set(pid, s.ppid);
  }
  const found = [rootPid];
  for (let i = 0; i < found.length; i++) {
    for (const [pid, ppid] of parents) if (ppid === found[i]) found.push(pid);
  }
  return found;
}

/** kB fields of /proc/PID/smaps_rollup (Pss, Rss). */
function rollup(pid: number): { pssKb: number; rssKb: number } {
  try {
    const text = fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? 0);
    return { pssKb: kb("Pss"), rssKb: kb("Rss") };
  } catch {
    return { pssKb: 0, rssKb: 0 };
  }
}

function label(pid: number): string {
  try {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    const script = cmd.find((a) => /\.(m?js|ts)$/.test(a) || a.endsWith("/next"));
    return script ? `${path.basename(cmd[0]!)} ${path.relative(root, script)} ${cmd.slice(cmd.indexOf(script) + 1).join(" ")}`.trim() : cmd.join(" ").slice(0, 60);
  } catch {
    return "?";
  }
}

/** CPU ms of the tree: each process's own time plus that of its children already reaped (postgres backends come and go). */
const treeCpuMs = (pids: number[]) => pids.reduce((sum, pid) => {
  const s = stat(pid);
  return sum + (s ? s.own + s.children : 0);
}, 0);

/** CPU of the whole tree from now on (processes that start meanwhile count from their start). */
function cpuSnapshot(rootPid: number) {
  const t0 = performance.now();
  const before = new Map(tree(rootPid).map((pid) => [pid, treeCpuMs([pid])]));
  return {
    since() {
      const perPid = new Map(tree(rootPid).map((pid) => [pid, treeCpuMs([pid]) - (before.get(pid) ?? 0)]));
      const ms = [...perPid.values()].reduce((a, b) => a + b, 0);
      const pct = Number(((ms / (performance.now() - t0)) * 100).toFixed(2));
      return { ms, pct, perPid };
    },
  };
}

export const runFootprintBench: Bench = async (args) => {
  const idleSeconds = sizeArg(args, "idle", 60, 5);
  await ensureBuild((line) => console.log(line));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "postmore-footprint-"));
  const port = await freePort();
  // Exactly what `npm start` runs (npm's own process aside).
  const startScript = (JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: { start: string } }).scripts.start;
  if (!startScript.startsWith("node ")) throw new Error(`unexpected npm start script: ${startScript}`);
  const child = spawn(process.execPath, startScript.split(" ").slice(1), {
    cwd: root,
    env: { NODE_ENV: "production", PATH: process.env.PATH, HOME: process.env.HOME, POSTMORE_DATA_DIR: dataDir, PORT: String(port), HOSTNAME: "127.0.0.1", LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  try {
    const deadline = Date.now() + 300_000;
    while (!output.includes("PostMore is running at")) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not come up:\n${output.slice(-4000)}`);
      await sleep(250);
    }
    // Minute one: the processes settle (lazy compilation, the first GCs); PSS after it.
    const settle = cpuSnapshot(child.pid!);
    await sleep(idleSeconds * 1000);
    const firstMinute = settle.since();
    const processes = tree(child.pid!).map((pid) => ({ pid, what: label(pid), ...rollup(pid) }));
    // Minute two: idle CPU, steady state.
    const steady = cpuSnapshot(child.pid!);
    await sleep(idleSeconds * 1000);
    const idle = steady.since();

    const pssMb = Number((processes.reduce((s, p) => s + p.pssKb, 0) / 1024).toFixed(1));
    const rssMb = Number((processes.reduce((s, p) => s + p.rssKb, 0) / 1024).toFixed(1));
    for (const p of processes) {
      const ms = idle.perPid.get(p.pid) ?? 0;
      console.log(`  ${String(p.pid).padStart(7)} ${(p.pssKb / 1024).toFixed(1).padStart(7)} MB PSS ${String(ms).padStart(6)} ms CPU  ${p.what}`);
    }
    console.log(`footprint pss_mb ${pssMb}`);
    console.log(`footprint idle_cpu_pct ${idle.pct}`);
    return {
      figures: [
        figure("idle PSS, every process summed", pssMb, "MB", { text: `≤ ${TARGET.pssMb}`, met: pssMb <= TARGET.pssMb }),
        figure(`idle CPU over ${idleSeconds} s`, idle.pct, "% of a core", { text: `< ${TARGET.idleCpuPct}`, met: idle.pct < TARGET.idleCpuPct }),
        figure(`CPU in the first ${idleSeconds} s after start-up`, firstMinute.pct, "% of a core"),
        figure("idle RSS, every process summed", rssMb, "MB"),
      ],
      details: { idleSeconds, processes, idleCpuMs: idle.ms, idleCpuPerPid: Object.fromEntries(idle.perPid), firstMinuteCpuMs: firstMinute.ms, rssMb },
    };
  } finally {
    child.kill("SIGINT");
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    await exited;
    clearTimeout(timer);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
};
