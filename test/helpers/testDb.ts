import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { createDatabase, type Database } from "@/app/lib/db/client";
import { migrateDatabase } from "@/app/lib/db/migrate";

export const adminUrl = () => `postgres://postgres:postgres@127.0.0.1:${inject("pgPort")}/postgres`;

/** A fresh, migrated database for one suite (PostMore's tables and BullMQ's schema). */
export async function createTestDatabase(): Promise<{ url: string; database: Database; drop(): Promise<void> }> {
  const name = `t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = `postgres://postgres:postgres@127.0.0.1:${inject("pgPort")}/${name}`;
  const database = createDatabase(url);
  await migrateDatabase(database);
  return {
    url,
    database,
    async drop() {
      await database.close();
      const c = new pg.Client({ connectionString: adminUrl() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export const redisConnection = () => ({ host: "127.0.0.1", port: inject("redisPort"), maxRetriesPerRequest: null });
