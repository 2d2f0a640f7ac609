import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type pg from "pg";
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
}

export function compareSchema(applied: AppliedMigration[], code = codeMigrations()): SchemaComparison {
  const whens = new Set(code.map((e) => e.when));
  return { applied: applied.length, known: code.length, unknown: applied.filter((a) => !whens.has(a.createdAt)).length };
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
