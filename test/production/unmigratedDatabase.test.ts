import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase, type Database } from "@/app/lib/db/client";
import { migrateDatabase } from "@/app/lib/db/migrate";
import { assertMigrated, SchemaBehindError } from "@/app/lib/lifecycle/schemaState";
import { startWeb, startWorker, type Proc } from "@/e2e/servers";
import { freePort } from "@/test/helpers/freePort";
import { adminUrl } from "@/test/helpers/testDb";

/**
 * docs/PRODUCTION.md runs `npm run db:migrate` before starting anything. An operator who
 * skips it (or runs it against another DATABASE_URL) used to get a worker that started and
 * logged failed queries every two seconds: now the worker and the web refuse to start, saying
 * what to run.
 */
async function exited(proc: Proc, timeoutMs: number): Promise<number | null> {
  if (proc.child.exitCode !== null) return proc.child.exitCode;
  const code = new Promise<number | null>((resolve) => proc.child.once("exit", resolve));
  const timeout = new Promise<"running">((resolve) => setTimeout(() => resolve("running"), timeoutMs));
  const result = await Promise.race([code, timeout]);
  if (result === "running") throw new Error(`still running after ${timeoutMs} ms:\n${proc.output()}`);
  return result;
}

async function publicTables(url: string): Promise<string[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ table_name: string }>("select table_name from information_schema.tables where table_schema = 'public'");
    return rows.map((r) => r.table_name);
  } finally {
    await c.end();
  }
}

describe("a database that npm run db:migrate has not brought up to date", () => {
  const name = `unmigrated_${randomBytes(5).toString("hex")}`;
  const url = adminUrl().replace(/\/postgres$/, `/${name}`);
  const procs: Proc[] = [];
  let database: Database | undefined;

  beforeAll(async () => {
    const c = new pg.Client({ connectionString: adminUrl() });
    await c.connect();
    await c.query(`CREATE DATABASE ${name}`);
    await c.end();
  });

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await database?.close();
    const c = new pg.Client({ connectionString: adminUrl() });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  });

  it("is refused by the worker and the web at start-up, with what to run, and nothing is written", async () => {
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: "production",
      DATABASE_URL: url,
      POSTMORE_SECRET: randomBytes(32).toString("hex"),
      QUEUE_BACKEND: "postgres",
      LOG_LEVEL: "warn",
    } as NodeJS.ProcessEnv;
    const worker = startWorker(env);
    const web = startWeb(await freePort(), env);
    procs.push(worker, web);

    for (const proc of [worker, web]) {
      expect(await exited(proc, 60_000)).toBe(1);
      expect(proc.output()).toMatch(/The database is missing \d+ of this version's \d+ migrations: run `npm run db:migrate` with the same DATABASE_URL/);
    }
    expect(await publicTables(url)).toEqual([]);
  }, 90_000);

  it("names how many migrations are missing, and accepts a database a newer version migrated", async () => {
    database = createDatabase(url);
    await migrateDatabase(database);
    await expect(assertMigrated(database)).resolves.toBeUndefined();
    const { rows } = await database.pool.query<{ n: number }>("select count(*)::int as n from drizzle.__drizzle_migrations");
    const total = rows[0]!.n;

    // One migration short: as if this version's last migration had not been applied.
    const last = await database.pool.query<{ hash: string; created_at: string }>(
      "delete from drizzle.__drizzle_migrations where created_at = (select max(created_at) from drizzle.__drizzle_migrations) returning hash, created_at",
    );
    const behind = await assertMigrated(database).catch((err: unknown) => err);
    expect(behind).toBeInstanceOf(SchemaBehindError);
    expect(behind).toMatchObject({ missing: 1, known: total });

    // Recorded again, it is whole; a migration this code does not know (a newer version
    // migrated first, as in a rolling upgrade) does not stop the processes still on this one.
    const { hash, created_at } = last.rows[0]!;
    await database.pool.query("insert into drizzle.__drizzle_migrations (hash, created_at) values ($1, $2)", [hash, created_at]);
    await database.pool.query("insert into drizzle.__drizzle_migrations (hash, created_at) values ('from-a-newer-version', 99999999999999)");
    await expect(assertMigrated(database)).resolves.toBeUndefined();
  });
});
