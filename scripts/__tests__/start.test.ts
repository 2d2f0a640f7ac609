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
  // What `npm start` runs (npm itself aside): the launcher, rebuilding first when the code changed.
  const child = spawn(process.execPath, ["scripts/launch.mjs", "start"], {
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

/** The launcher's direct children, with their command lines and environments. */
function childrenOf(pid: number): Array<{ pid: number; cmd: string; env: string[] }> {
  const found = [];
  for (const entry of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) !== pid) continue;
      found.push({
        pid: Number(entry),
        cmd: fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" "),
        env: fs.readFileSync(`/proc/${entry}/environ`, "utf8").split("\0"),
      });
    } catch {
      // gone meanwhile
    }
  }
  return found;
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
  // Web, worker and PostgreSQL run in sessions of their own: a failed test ends them one by one.
  for (const c of children) {
    for (const pid of [...childrenOf(c.pid!).map((k) => k.pid), c.pid!]) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
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
    expect(first.output()).toContain(`The web app listens on every network interface (0.0.0.0:${port})`);
    expect(first.output()).toContain("HOSTNAME=127.0.0.1 npm start");

    // One launcher process over the web, the worker and PostgreSQL: compiled JavaScript, no tsx.
    const children = childrenOf(first.child.pid!);
    const web = children.find((c) => c.cmd.startsWith("next-server")); // Next.js renames its process
    const worker = children.find((c) => c.cmd.includes("dist/worker.mjs"));
    expect(web, JSON.stringify(children.map((c) => c.cmd))).toBeDefined();
    expect(worker).toBeDefined();
    expect(children.some((c) => /postgres -D/.test(c.cmd))).toBe(true);
    expect(children.filter((c) => c.cmd.includes("tsx"))).toEqual([]);
    for (const c of [web!, worker!]) {
      expect(c.env.filter((v) => v.startsWith("ADMIN_PASSWORD="))).toEqual([]);
      expect(c.env).toContain("NEXT_TELEMETRY_DISABLED=1");
    }

    expect(await ctrlC(first.child)).toBe(0);
    expect(first.output()).toContain("PostMore stopped.");
    await expect(fetch(`http://127.0.0.1:${port}/api/health`)).rejects.toThrow();

    const port2 = await freePort();
    const second = startPostMore(baseEnv(port2, { HOSTNAME: "127.0.0.1" }));
    await waitFor(() => second.output().includes("PostMore is running at"), 120_000, "second start", second.output);
    expect(second.output()).toContain(`The web app listens on 127.0.0.1:${port2}`);
    expect(await signIn(port2, email, password)).toBe(200);
    expect(await ctrlC(second.child)).toBe(0);
  }, 420_000);
});
