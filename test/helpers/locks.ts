import type { Pool } from "pg";
import { waitFor } from "./postsApi";

/**
 * Resolves once some session holds an advisory lock in this database: the handshake tests
 * use instead of "sleep and hope the lock was taken by then".
 */
export function waitForAdvisoryLock(pool: Pool): Promise<true> {
  return waitFor(
    "an advisory lock to be held",
    async () => {
      const res = await pool.query(
        "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
      );
      return res.rowCount ? (true as const) : undefined;
    },
    30_000,
    20,
  );
}
