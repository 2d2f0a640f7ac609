import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";

/** The production web app (`next start`) and the worker as child processes, the way `npm start` runs them. */

const root = path.resolve(import.meta.dirname, "..");
const nextBin = path.join(root, "node_modules/next/dist/bin/next");

/**
 * `node scripts/build.mjs --if-stale`: the same build and build stamps as `npm run build` and
 * `npm start` — the web app (.next) and the compiled server entries (dist/) are rebuilt only
 * when their sources changed since they were built (tests are not among those sources).
 */
export async function ensureBuild(log: (line: string) => void): Promise<void> {
  const child = spawn(process.execPath, [path.join(root, "scripts/build.mjs"), "--if-stale"], {
    cwd: root,
    env: { ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`build failed (${code}):\n${output.slice(-4000)}`);
  for (const line of output.split("\n").filter((l) => l.startsWith("built "))) log(line);
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

export const startWeb = (port: number, env: NodeJS.ProcessEnv) =>
  start([nextBin, "start", "-p", String(port), "-H", "127.0.0.1"], { ...env, NEXT_TELEMETRY_DISABLED: "1" });
/** The compiled worker (dist/worker.mjs, made by ensureBuild), as production runs it. */
export const startWorker = (env: NodeJS.ProcessEnv) => start([path.join(root, "dist/worker.mjs")], env);

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

/** Debian's Chromium (Playwright's own browser download does not work here), headless. */
export const CHROMIUM = "/usr/bin/chromium";

export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (never \`npx playwright install\`)`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run", ...extraArgs] });
}

/** Signs in through the sign-in page and waits for the app to land on Posts. */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL("**/posts");
}
