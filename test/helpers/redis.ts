import { execFileSync } from "node:child_process";
import { RedisMemoryServer } from "redis-memory-server";

/** Path of the Debian redis-server; redis-memory-server must never download or compile one. */
export function systemRedisBinary(): string {
  const found = execFileSync("sh", ["-c", "command -v redis-server || true"]).toString().trim();
  if (!found) throw new Error("redis-server is not on PATH: apt-get install -y redis-server (needed for the Redis-backend tests)");
  return found;
}

export async function startTestRedis(): Promise<RedisMemoryServer> {
  process.env.REDISMS_SYSTEM_BINARY ??= systemRedisBinary();
  const server = new RedisMemoryServer({ instance: { ip: "127.0.0.1" } });
  await server.start();
  return server;
}
