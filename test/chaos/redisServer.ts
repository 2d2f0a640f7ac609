import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { freePort } from "../helpers/freePort";
import { systemRedisBinary } from "../helpers/redis";

/**
 * A Redis server of the chaos suite's own: the Debian redis-server on a fixed port with AOF
 * on and its own --dir, so it can be stopped (cleanly or with SIGKILL) and started again on
 * the same port with the same data, or wiped, without touching any other suite's Redis.
 */
export interface ChaosRedis {
  port: number;
  dir: string;
  /** Stops the server: SIGTERM (Redis fsyncs the AOF and exits) or SIGKILL (a crash). */
  stop(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  /** Starts it again on the same port and directory (it replays the AOF). */
  start(): Promise<void>;
  flushAll(): Promise<void>;
  close(): Promise<void>;
}

export async function startChaosRedis(): Promise<ChaosRedis> {
  const binary = systemRedisBinary();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "postmore-chaos-redis-"));
  const port = await freePort();
  let child: ChildProcess | undefined;

  const start = () =>
    new Promise<void>((resolve, reject) => {
      const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--appendfsync", "everysec"];
      args.push("--save", "", "--maxmemory-policy", "noeviction", "--daemonize", "no", "--protected-mode", "no");
      const proc = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
      child = proc;
      let out = "";
      const onData = (b: Buffer) => {
        out += b.toString();
        if (out.includes("Ready to accept connections")) resolve();
      };
      proc.stdout?.on("data", onData);
      proc.stderr?.on("data", onData);
      proc.once("exit", (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${out}`)));
    });

  const stop = async (signal: "SIGTERM" | "SIGKILL" = "SIGTERM") => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    proc.kill(signal);
    await exited;
    child = undefined;
  };

  await start();
  return {
    port,
    dir,
    stop,
    start,
    async flushAll() {
      const client = new Redis({ host: "127.0.0.1", port, maxRetriesPerRequest: 1 });
      try {
        await client.flushall();
      } finally {
        client.disconnect();
      }
    },
    async close() {
      await stop("SIGTERM");
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
