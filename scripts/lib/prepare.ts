import type { Config } from "@/app/lib/config";
import { createDatabase, type Database } from "@/app/lib/db/client";
import { migrateDatabase } from "@/app/lib/db/migrate";
import { resolveDatabase, type RunningDatabase } from "@/app/lib/embedded/embeddedPostgres";
import { migrateLegacyImages } from "@/app/lib/media/migrateLegacyImages";

export { configOrExit, secretFor } from "./settings";

/** Resolves the database (embedded when DATABASE_URL is unset) and applies all migrations. */
export async function prepareDatabase(config: Config): Promise<{ running: RunningDatabase; database: Database }> {
  const running = await resolveDatabase(config);
  const database = createDatabase(running.url, { max: 2 });
  await migrateDatabase(database, { bullmqSchema: config.queue.backend === "postgres" ? "bullmq" : false });
  // Files cannot be written from SQL: base64 images inside posts move to the media store here.
  await migrateLegacyImages(database.db, config.dataDir);
  return { running, database };
}
