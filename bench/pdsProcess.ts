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

/** CPU milliseconds (user + system) a process has used so far, from /proc (Linux). */
export function processCpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10; // USER_HZ is 100
  } catch {
    return 0;
  }
}
