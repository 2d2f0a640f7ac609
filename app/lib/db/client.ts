import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import pg from "pg";
import * as schema from "./schema";

export type Db = NodePgDatabase<typeof schema>;

export interface Database {
  db: Db;
  pool: pg.Pool;
  close(): Promise<void>;
}

/**
 * One pool per process, sized for a 2-core machine by default. Named prepared statements
 * (only the post worker's publish lane has one) keep one generic plan per connection instead
 * of being planned again on every call; unnamed queries (drizzle's) are planned per call as usual.
 */
export function createDatabase(url: string, opts: { max?: number } = {}): Database {
  const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 10, options: "-c plan_cache_mode=force_generic_plan" });
  // An idle client losing its server (PostgreSQL restart) must not crash the process.
  pool.on("error", () => {});
  const db = drizzle(pool, { schema });
  return { db, pool, close: () => pool.end() };
}
