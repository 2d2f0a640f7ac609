import { fork } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { PdsRecord, TestAccount } from "@/test/helpers/pds";

/** The part of test/helpers/pds.ts the benchmark uses, with the PDS in a child process (bench/pdsChild.ts). */
export interface RemotePds {
  url: string;
  pid: number;
  createAccount(handlePrefix: string): Promise<TestAccount>;
  listPosts(did: string): Promise<PdsRecord[]>;
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);

export async function startPdsProcess(): Promise<RemotePds> {
  const child = fork(path.join(import.meta.dirname, "pdsChild.ts"), [], {
    execArgv: ["--import", pathToFileURL(require.resolve("tsx")).href],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 0;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the PDS process exited (${code}) before it was ready`)));
    child.on("message", (msg: { ready?: string; id?: number; value?: unknown; error?: string }) => {
      if (msg.ready) return resolve(msg.ready);
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
    pid: child.pid!,
    createAccount: (prefix) => ask<TestAccount>("createAccount", prefix),
    listPosts: (did) => ask<PdsRecord[]>("listPosts", did),
    async close() {
      child.disconnect();
      await exited;
    },
  };
}

function stat(pid: number): { ppid: number; cpuMs: number } | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // The fields after the command name (which may hold spaces): ppid is 4th, utime 14th, stime 15th.
    const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(f[1]), cpuMs: (Number(f[11]) + Number(f[12])) * 10 }; // USER_HZ is 100
  } catch {
    return undefined; // exited meanwhile
  }
}

/** CPU milliseconds (user + system) a process has used so far, from /proc (Linux). */
export function processCpuMs(pid: number): number {
  return stat(pid)?.cpuMs ?? 0;
}

/**
 * CPU milliseconds used so far by every descendant of `root` except the `exclude` subtree:
 * the PostgreSQL cluster and redis-server the bench started (not the PDS process).
 */
export function descendantsCpuMs(root: number, exclude: number): number {
  const all = new Map<number, { ppid: number; cpuMs: number }>();
  for (const name of fs.readdirSync("/proc")) {
    const s = /^\d+$/.test(name) ? stat(Number(name)) : undefined;
    if (s) all.set(Number(name), s);
  }
  const within = (pid: number): boolean => {
    for (let p = pid; p > 1; p = all.get(p)?.ppid ?? 0) {
      if (p === exclude) return false;
      if (p === root) return true;
    }
    return false;
  };
  let total = 0;
  for (const [pid, s] of all) if (pid !== root && within(pid)) total += s.cpuMs;
  return total;
}
