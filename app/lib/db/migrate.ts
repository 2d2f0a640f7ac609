import path from "node:path";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import { runMigrations as runBullMigrations } from "bullmq";
import type { Database } from "./client";

export const MIGRATIONS_DIR = path.join(process.cwd(), "drizzle");

/** Applies PostMore's committed SQL migrations, then BullMQ's own schema when it queues on PostgreSQL. */
export async function migrateDatabase(
  database: Database,
  opts: { bullmqSchema?: string | false } = {},
): Promise<void> {
  await migrate(database.db, { migrationsFolder: MIGRATIONS_DIR });
  if (opts.bullmqSchema !== false) {
    const client = await database.pool.connect();
    try {
      await runBullMigrations(client, opts.bullmqSchema ?? "bullmq");
    } finally {
      client.release();
    }
  }
}
