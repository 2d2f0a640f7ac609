import fs from "node:fs";
import path from "node:path";

/** Where a running `npm start` publishes its database URL, so the CLI and a lone worker can join it. */
const runtimeFile = (dataDir: string) => path.join(dataDir, "runtime.json");

export function publishRuntime(dataDir: string, url: string): void {
  fs.writeFileSync(runtimeFile(dataDir), JSON.stringify({ pid: process.pid, databaseUrl: url }), { mode: 0o600 });
}

export function clearRuntime(dataDir: string): void {
  fs.rmSync(runtimeFile(dataDir), { force: true });
}

/** The database URL of a live `npm start` using this data dir, if there is one. */
export function runningInstanceUrl(dataDir: string): string | undefined {
  try {
    const { pid, databaseUrl } = JSON.parse(fs.readFileSync(runtimeFile(dataDir), "utf8")) as {
      pid: number;
      databaseUrl: string;
    };
    process.kill(pid, 0); // throws when that process is gone
    return databaseUrl;
  } catch {
    return undefined;
  }
}
