import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { RedisMemoryServer } from "redis-memory-server";

/** Path of the Debian redis-server; redis-memory-server must never download or compile one. */
export function systemRedisBinary(): string {
  const found = execFileSync("sh", ["-c", "command -v redis-server || true"]).toString().trim();
  if (!found) throw new Error("redis-server is not on PATH: apt-get install -y redis-server (needed for the Redis-backend tests)");
  return found;
}

export async function startTestRedis(): Promise<RedisMemoryServer> {
  process.env.REDISMS_SYSTEM_BINARY ??= systemRedisBinary();
  // Its own working dir, so AOF/RDB files written by persistence tests never land in the repo.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "postmore-redis-"));
  const server = new RedisMemoryServer({ instance: { ip: "127.0.0.1", args: ["--dir", dir] } });
  await server.start();
  return server;
}
