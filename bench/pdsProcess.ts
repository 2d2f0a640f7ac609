import { execFileSync, fork } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { PdsRecord, TestAccount, TestPds } from "@/test/helpers/pds";
import { allPids, cpuOf, stat } from "./procCpu";

/** The part of test/helpers/pds.ts the benchmark uses, with the PDS in a child process (bench/pdsChild.ts). */
export interface RemotePds {
  url: string;
  /** PLC, handle resolver and OUTBOUND_ALLOWLIST settings for this PDS (test/helpers/pds.ts). */
  env: TestPds["env"];
  pid: number;
  createAccount(handlePrefix: string): Promise<TestAccount>;
  listPosts(did: string): Promise<PdsRecord[]>;
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);

/** Sets the CPUs every thread of `pid` may run on (threads it starts later inherit them). */
export function pinProcess(pid: number, cpus: string): void {
  execFileSync("taskset", ["--all-tasks", "--pid", "--cpu-list", cpus, String(pid)], { stdio: "ignore" });
}

/** The CPUs this process may run on, as a list of ids (Linux: /proc/self/status). */
export function allowedCpus(): number[] {
  const line = /^Cpus_allowed_list:\s*(\S+)$/m.exec(fs.readFileSync("/proc/self/status", "utf8"))?.[1] ?? "";
  return line.split(",").flatMap((range) => {
    const [from, to = from] = range.split("-").map(Number);
    return Array.from({ length: to! - from! + 1 }, (_, i) => from! + i);
  });
}

/** Whether the PDS can have a core of its own and everything else the rest (Linux with taskset, 2+ CPUs allowed). */
export function canPin(): boolean {
  try {
    execFileSync("taskset", ["--version"], { stdio: "ignore" });
    return allowedCpus().length >= 2;
  } catch {
    return false;
  }
}

/**
 * The PDS in a child process. Its SQLite files go to /dev/shm when there is one: on disk its
 * write rate swung 65-107 writes/s between rounds of the same run with the disk's other
 * traffic, noise that belongs neither to PostMore nor to the raw client. `cpu` pins it.
 */
export async function startPdsProcess(opts: { cpu?: string } = {}): Promise<RemotePds> {
  const tmp = fs.existsSync("/dev/shm") ? { TMPDIR: "/dev/shm" } : {};
  const child = fork(path.join(import.meta.dirname, "pdsChild.ts"), [], {
    execArgv: ["--import", pathToFileURL(require.resolve("tsx")).href],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: { ...process.env, ...tmp },
  });
  if (opts.cpu) pinProcess(child.pid!, opts.cpu);
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 0;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const { url, env } = await new Promise<{ url: string; env: TestPds["env"] }>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the PDS process exited (${code}) before it was ready`)));
    child.on("message", (msg: { ready?: string; env?: TestPds["env"]; id?: number; value?: unknown; error?: string }) => {
      if (msg.ready) return resolve({ url: msg.ready, env: msg.env! });
      const waiter = pending.get(msg.id!);
      pending.delete(msg.id!);
      if (msg.error !== undefined) waiter?.reject(new Error(msg.error));
      else waiter?.resolve(msg.value);
    });
  });
  const ask = <T>(op: string, arg: string) =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, op, arg });
    });
  return {
    url,
    env,
    pid: child.pid!,
    createAccount: (prefix) => ask<TestAccount>("createAccount", prefix),
    listPosts: (did) => ask<PdsRecord[]>("listPosts", did),
    async close() {
      child.disconnect();
      await exited;
    },
  };
}

/** CPU milliseconds (user + system) a process has used so far, from /proc (Linux). */
export const processCpuMs = (pid: number): number => cpuOf(pid);

/**
 * CPU milliseconds used so far by every descendant of `root` except the `exclude` subtree:
 * the PostgreSQL cluster and redis-server the bench started (not the PDS process).
 */
export function descendantsCpuMs(root: number, exclude: number): number {
  const all = new Map<number, { ppid: number; own: number }>();
  for (const pid of allPids()) {
    const s = stat(pid);
    if (s) all.set(pid, s);
  }
  const within = (pid: number): boolean => {
    for (let p = pid; p > 1; p = all.get(p)?.ppid ?? 0) {
      if (p === exclude) return false;
      if (p === root) return true;
    }
    return false;
  };
  let total = 0;
  for (const [pid, s] of all) if (pid !== root && within(pid)) total += s.own;
  return total;
}
