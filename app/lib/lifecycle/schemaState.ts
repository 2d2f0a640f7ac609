import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type pg from "pg";
import type { Database } from "../db/client";
import { MIGRATIONS_DIR } from "../db/migrate";

/** Where a database's schema stands against the migrations this code ships (drizzle's journal). */

interface JournalEntry {
  idx: number;
  when: number;
  tag: string;
}

export interface AppliedMigration {
  hash: string;
  createdAt: number;
}

export function codeMigrations(dir = MIGRATIONS_DIR): JournalEntry[] {
  const journal = JSON.parse(fs.readFileSync(path.join(dir, "meta", "_journal.json"), "utf8")) as { entries: JournalEntry[] };
  return journal.entries;
}

/** The migrations recorded in the database, oldest first; empty when it was never migrated. */
export async function appliedMigrations(client: pg.ClientBase): Promise<AppliedMigration[]> {
  const exists = await client.query<{ t: string | null }>("SELECT to_regclass('drizzle.__drizzle_migrations')::text AS t");
  if (!exists.rows[0]?.t) return [];
  const { rows } = await client.query<{ hash: string; created_at: string }>(
    "SELECT hash, created_at FROM drizzle.__drizzle_migrations ORDER BY created_at",
  );
  return rows.map((r) => ({ hash: r.hash, createdAt: Number(r.created_at) }));
}

export interface SchemaComparison {
  applied: number;
  known: number;
  /** Migrations in the database that this code does not have (a newer PostMore wrote them). */
  unknown: number;
  /** Migrations of this code that the database lacks (`npm run db:migrate` has not run since the upgrade). */
  missing: number;
}

export function compareSchema(applied: AppliedMigration[], code = codeMigrations()): SchemaComparison {
  const whens = new Set(code.map((e) => e.when));
  const appliedWhens = new Set(applied.map((a) => a.createdAt));
  return {
    applied: applied.length,
    known: code.length,
    unknown: applied.filter((a) => !whens.has(a.createdAt)).length,
    missing: code.filter((e) => !appliedWhens.has(e.when)).length,
  };
}

/**
 * The database lacks some of this code's migrations: `npm run db:migrate` was not run (or not
 * against this DATABASE_URL) since the upgrade. The web and the worker refuse to start on it
 * rather than fail query after query.
 */
export class SchemaBehindError extends Error {
  constructor(
    readonly missing: number,
    readonly known: number,
  ) {
    super(
      `The database is missing ${missing} of this version's ${known} migrations: run \`npm run db:migrate\` with the same DATABASE_URL ` +
        "before starting the web app or the worker (see docs/PRODUCTION.md).",
    );
    this.name = "SchemaBehindError";
  }
}

/**
 * Refuses (SchemaBehindError) a database that lacks some of this code's migrations. A newer
 * schema is accepted: in a rolling upgrade the old processes run on the migrated database
 * until they are replaced.
 */
export async function assertMigrated(database: Database): Promise<void> {
  const client = await database.pool.connect();
  try {
    const s = compareSchema(await appliedMigrations(client));
    if (s.missing > 0) throw new SchemaBehindError(s.missing, s.known);
  } finally {
    client.release();
  }
}

/**
 * A copy of the migrations folder holding only the migrations up to `createdAt`: a restore
 * rebuilds the schema the backup was taken with, loads the rows, then migrates the rest.
 */
export function migrationsUpTo(createdAt: number): { dir: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "postmore-migrations-"));
  const entries = codeMigrations().filter((e) => e.when <= createdAt);
  fs.mkdirSync(path.join(dir, "meta"));
  for (const e of entries) fs.copyFileSync(path.join(MIGRATIONS_DIR, `${e.tag}.sql`), path.join(dir, `${e.tag}.sql`));
  fs.writeFileSync(path.join(dir, "meta", "_journal.json"), JSON.stringify({ version: "7", dialect: "postgresql", entries }));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
