import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import pg from "pg";
import * as schema from "./schema";

export type Db = NodePgDatabase<typeof schema>;

export interface Database {
  db: Db;
  pool: pg.Pool;
  /** Drizzle on one checked-out client (its queries run in whatever transaction that client is in). */
  on(client: pg.PoolClient): Db;
  close(): Promise<void>;
}

/** One pool per process, sized for a 2-core machine by default. */
export function createDatabase(url: string, opts: { max?: number } = {}): Database {
  // Pipelining only changes a client that is sent a query before the last one answered
  // (pool.query and awaited queries are as before): the advisory lock sends its read right
  // behind the lock, one round trip for both (db/advisoryLock.ts).
  const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 10, pipeline: true });
  // An idle client losing its server (PostgreSQL restart) must not crash the process.
  pool.on("error", () => {});
  const db = drizzle(pool, { schema });
  // One Drizzle handle per pooled connection, made once: building one reads the whole schema.
  const handles = new WeakMap<pg.PoolClient, Db>();
  const on = (client: pg.PoolClient): Db => {
    let handle = handles.get(client);
    if (!handle) handles.set(client, (handle = drizzle(client, { schema })));
    return handle;
  };
  return { db, pool, on, close: () => pool.end() };
}
