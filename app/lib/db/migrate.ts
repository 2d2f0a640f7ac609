import path from "node:path";
import type { PoolClient } from "pg";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { runMigrations as runBullMigrations } from "bullmq";
import type { Database } from "./client";

export const MIGRATIONS_DIR = path.join(process.cwd(), "drizzle");

// Session advisory lock key: one migrator at a time across every process starting at once.
// Not db/advisoryLock.ts: drizzle's migrator runs its own BEGIN/COMMIT on this one connection
// (a pool of one must not deadlock), and a start-up migrator blocks rather than polls.
const MIGRATE_LOCK_KEY = 0x706d6d67; // "pmmg"

/** The database was migrated by a newer PostMore than this code: running on it would be a downgrade. */
export class NewerSchemaError extends Error {
  constructor(readonly unknownMigrations: number) {
    super(
      `The database has ${unknownMigrations} migration(s) this version of PostMore does not know: it was upgraded by a newer version. ` +
        "Downgrading onto a newer schema is not supported. Run the newer version again, or restore the backup taken before the upgrade (see docs/UPGRADING.md).",
    );
    this.name = "NewerSchemaError";
  }
}

/** Migrations recorded in the database (drizzle stamps each with its journal time) that are not in this code's journal. */
async function unknownMigrations(client: PoolClient, known: Set<number>): Promise<number> {
  const table = await client.query("select to_regclass('drizzle.__drizzle_migrations') as t");
  if (table.rows[0].t === null) return 0;
  const { rows } = await client.query<{ created_at: string }>("select created_at from drizzle.__drizzle_migrations");
  return rows.filter((r) => !known.has(Number(r.created_at))).length;
}

/**
 * Applies PostMore's committed SQL migrations, then BullMQ's own schema when it queues on
 * PostgreSQL, under one advisory lock: processes starting at once take turns, and the later
 * ones find nothing left to do. Refuses (NewerSchemaError) a database a newer version migrated.
 */
export async function migrateDatabase(
  database: Database,
  opts: { bullmqSchema?: string | false } = {},
): Promise<void> {
  const known = new Set(readMigrationFiles({ migrationsFolder: MIGRATIONS_DIR }).map((m) => m.folderMillis));
  // Everything on one connection: the lock is the session's, and a pool of one must not deadlock.
  const client = await database.pool.connect();
  try {
    await client.query("select pg_advisory_lock($1)", [MIGRATE_LOCK_KEY]);
    try {
      const unknown = await unknownMigrations(client, known);
      if (unknown > 0) throw new NewerSchemaError(unknown);
      await migrate(drizzle({ client }), { migrationsFolder: MIGRATIONS_DIR });
      if (opts.bullmqSchema !== false) await runBullMigrations(client, opts.bullmqSchema ?? "bullmq");
    } finally {
      await client.query("select pg_advisory_unlock($1)", [MIGRATE_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}
