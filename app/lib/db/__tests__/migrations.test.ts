import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { createDatabase } from "../client";
import { migrateDatabase } from "../migrate";
import { adminUrl } from "@/test/helpers/testDb";

describe("migrations", () => {
  const name = `m_${randomBytes(5).toString("hex")}`;
  const url = adminUrl().replace(/\/postgres$/, `/${name}`);

  afterAll(async () => {
    const c = new pg.Client({ connectionString: adminUrl() });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  });

  it("apply on an empty database, twice without harm, including BullMQ's schema", async () => {
    const c = new pg.Client({ connectionString: adminUrl() });
    await c.connect();
    await c.query(`CREATE DATABASE ${name}`);
    await c.end();

    const database = createDatabase(url);
    await migrateDatabase(database);
    await migrateDatabase(database);
    const tables = await database.pool.query<{ table_name: string }>(
      "select table_name from information_schema.tables where table_schema = 'public' order by 1",
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining([
        "users",
        "sessions",
        "api_tokens",
        "social_accounts",
        "posts",
        "deliveries",
        "delivery_attempts",
      ]),
    );
    const bull = await database.pool.query("select count(*)::int as n from information_schema.tables where table_schema = 'bullmq'");
    expect(bull.rows[0].n).toBeGreaterThan(0);
    await database.close();
  });
});
