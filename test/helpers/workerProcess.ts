import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { LOOPBACK_ALLOWLIST } from "./loopback";

/** `npm run worker` as a real child process, for crash tests (SIGKILL) and graceful shutdown (SIGTERM). */
export interface WorkerProcess {
  pid: number;
  kill(signal: NodeJS.Signals): void;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  output(): string;
}

const require = createRequire(import.meta.url);

export function startWorkerProcess(env: Record<string, string>): WorkerProcess {
  const root = path.resolve(import.meta.dirname, "../..");
  // `node --import tsx`, not the tsx CLI: the CLI runs the script in a grandchild that a
  // SIGKILL of the CLI would leave running — the crash test must kill the worker itself.
  const child = spawn(process.execPath, ["--import", pathToFileURL(require.resolve("tsx")).href, path.join(root, "scripts/worker.ts")], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", NODE_ENV: "test", LOG_LEVEL: "warn", OUTBOUND_ALLOWLIST: LOOPBACK_ALLOWLIST, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr.on("data", (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    pid: child.pid ?? -1,
    kill: (signal) => void child.kill(signal),
    exited,
    output: () => out,
  };
}
