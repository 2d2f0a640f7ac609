import { randomBytes } from "node:crypto";
import { createDatabase } from "@/app/lib/db/client";
import { migrateDatabase } from "@/app/lib/db/migrate";
import type { RunningPostgres } from "@/test/helpers/embeddedPg";

/** A new, migrated database on the benchmark's cluster (PostMore's tables and BullMQ's schema). */
export async function freshDatabase(postgres: RunningPostgres): Promise<string> {
  const url = await postgres.createDatabase(`bench_${randomBytes(4).toString("hex")}`);
  const database = createDatabase(url);
  await migrateDatabase(database);
  await database.close();
  return url;
}
