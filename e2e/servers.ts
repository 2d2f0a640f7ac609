import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

/** The production web app (`next start`) and the worker as child processes, the way `npm start` runs them. */

const root = path.resolve(import.meta.dirname, "..");
const nextBin = path.join(root, "node_modules/next/dist/bin/next");
const tsxCli = path.join(root, "node_modules/tsx/dist/cli.mjs");

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "__tests__" && entry.name !== "node_modules") newest = Math.max(newest, newestMtime(p));
    } else if (/\.(tsx?|css)$/.test(entry.name)) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** Reuses .next when it is newer than every source file; builds otherwise. */
export async function ensureBuild(log: (line: string) => void): Promise<void> {
  const buildId = path.join(root, ".next", "BUILD_ID");
  const sources = Math.max(newestMtime(path.join(root, "app")), ...["next.config.ts", "proxy.ts"].map((f) => fs.statSync(path.join(root, f)).mtimeMs));
  if (fs.existsSync(buildId) && fs.statSync(buildId).mtimeMs > sources) return;
  log("building the web app (next build)…");
  const child = spawn(process.execPath, [nextBin, "build"], { cwd: root, env: { ...process.env, NODE_ENV: "production" }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`next build failed (${code}):\n${output.slice(-4000)}`);
}

export interface Proc {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

function start(args: string[], env: NodeJS.ProcessEnv): Proc {
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return {
    child,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export const startWeb = (port: number, env: NodeJS.ProcessEnv) => start([nextBin, "start", "-p", String(port), "-H", "127.0.0.1"], env);
export const startWorker = (env: NodeJS.ProcessEnv) => start([tsxCli, "scripts/worker.ts"], env);

export async function waitForHealth(url: string, proc: Proc, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`web exited early:\n${proc.output()}`);
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`web did not become healthy:\n${proc.output()}`);
}
