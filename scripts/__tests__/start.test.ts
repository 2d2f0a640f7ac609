import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "@/test/helpers/freePort";

/**
 * The newcomer's path: `npm start` with nothing configured and no redis-server anywhere on PATH.
 * Starts, serves the sign-in page and /api/health, stops on Ctrl-C, and a second start keeps the data.
 */

/** A PATH with every system command except redis-*. */
function pathWithoutRedis(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "postmore-path-"));
  for (const src of ["/usr/local/bin", "/usr/bin", "/usr/sbin"]) {
    if (!fs.existsSync(src)) continue;
    for (const name of fs.readdirSync(src)) {
      if (name.startsWith("redis") || fs.existsSync(path.join(dir, name))) continue;
      fs.symlinkSync(path.join(src, name), path.join(dir, name));
    }
  }
  return dir;
}

const root = path.resolve(import.meta.dirname, "../..");
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "postmore-data-"));
const PATH = pathWithoutRedis();
const children: ChildProcess[] = [];

type Env = Record<string, string | undefined>;

function baseEnv(port: number, extra: Record<string, string> = {}): Env {
  return { PATH, HOME: process.env.HOME, POSTMORE_DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: "warn", ...extra };
}

function startPostMore(env: Env): { child: ChildProcess; output: () => string } {
  let out = "";
  const child = spawn(process.execPath, [require.resolve("tsx/cli"), "scripts/start.ts"], {
    cwd: root,
    env: env as NodeJS.ProcessEnv,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  children.push(child);
  return { child, output: () => out };
}

async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string, log: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}; output so far:\n${log()}`);
}

function readProc(pid: number, file: string): string {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, "utf8");
  } catch {
    return "";
  }
}

/** Every process below `pid` (Linux /proc). */
function descendants(pid: number): number[] {
  const kids = readProc(pid, `task/${pid}/children`).split(" ").filter(Boolean).map(Number);
  return kids.flatMap((k) => [k, ...descendants(k)]);
}

async function ctrlC(child: ChildProcess): Promise<number | null> {
  const done = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  process.kill(-child.pid!, "SIGINT");
  return done;
}

async function signIn(port: number, email: string, password: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/api/auth/signin`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0]!;
  if (res.status !== 200) return res.status;
  return (await fetch(`http://127.0.0.1:${port}/api/me`, { headers: { cookie } })).status;
}

afterAll(() => {
  for (const c of children) {
    try {
      process.kill(-c.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(PATH, { recursive: true, force: true });
});

describe("npm start (embedded default)", () => {
  it("has no redis-server on the PATH it is given", () => {
    const r = spawnSync("sh", ["-c", "command -v redis-server"], { env: { PATH } as unknown as NodeJS.ProcessEnv });
    expect(r.status).not.toBe(0);
  });

  it("starts with nothing configured, serves sign-in and health, stops on Ctrl-C, keeps data on restart", async () => {
    const email = "first-admin@example.test";
    const password = "a long enough password";
    const port = await freePort();
    const first = startPostMore(baseEnv(port, { ADMIN_EMAIL: email, ADMIN_PASSWORD: password }));
    await waitFor(() => first.output().includes("PostMore is running at"), 280_000, "first start", first.output);

    const health = await fetch(`http://127.0.0.1:${port}/api/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok", db: "ok", queue: "ok", queueBackend: "postgres" });
    const signinPage = await fetch(`http://127.0.0.1:${port}/signin`);
    expect(signinPage.status).toBe(200);
    expect(await signinPage.text()).toContain("Sign in");
    expect(await signIn(port, email, password)).toBe(200);
    expect(await signIn(port, email, "wrong password")).toBe(401);
    expect(first.output()).toMatch(/database: embedded PostgreSQL; queues: PostgreSQL/);
    // Only start.ts needs ADMIN_PASSWORD (to create the admin); the web and worker it spawns never see it.
    const spawned = descendants(first.child.pid!).filter((pid) => /next|worker\.ts/.test(readProc(pid, "cmdline")));
    expect(spawned.length).toBeGreaterThanOrEqual(2);
    for (const pid of spawned) expect(readProc(pid, "environ").split("\0")).not.toContain(`ADMIN_PASSWORD=${password}`);

    expect(await ctrlC(first.child)).toBe(0);
    expect(first.output()).toContain("PostMore stopped.");
    await expect(fetch(`http://127.0.0.1:${port}/api/health`)).rejects.toThrow();

    const port2 = await freePort();
    const second = startPostMore(baseEnv(port2));
    await waitFor(() => second.output().includes("PostMore is running at"), 120_000, "second start", second.output);
    expect(await signIn(port2, email, password)).toBe(200);
    expect(await ctrlC(second.child)).toBe(0);
  }, 420_000);
});
