import fs from "node:fs";
import path from "node:path";
import { runningInstanceUrl } from "../embedded/runtime";

/**
 * A data dir "has data" when the embedded PostgreSQL was initialised in it. The CLI must not
 * quietly create a second, empty database because it was run from another directory or with
 * another POSTMORE_DATA_DIR: it refuses and names the directory it looked at.
 */
export function hasEmbeddedData(dataDir: string): boolean {
  return fs.existsSync(path.join(dataDir, "postgres", "PG_VERSION"));
}

export type DataDirState = "external" | "running" | "stopped" | "empty";

/** external: DATABASE_URL is set; running: a live `npm start` uses it; stopped: data but no instance; empty: nothing there. */
export function dataDirState(dataDir: string, databaseUrl: string | undefined): DataDirState {
  if (databaseUrl) return "external";
  if (runningInstanceUrl(dataDir)) return "running";
  return hasEmbeddedData(dataDir) ? "stopped" : "empty";
}

export function noDataMessage(dataDir: string): string {
  return [
    `No PostMore data in ${path.resolve(dataDir)}: no running PostMore uses it and it holds no database.`,
    "Run the command from the directory you start PostMore in, or set POSTMORE_DATA_DIR (or DATABASE_URL) to where your data is.",
    "To set up a new install in this directory, run create-admin first (or restore a backup).",
  ].join("\n");
}
