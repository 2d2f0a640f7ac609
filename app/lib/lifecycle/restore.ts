import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import * as tar from "tar";
import { openCredentials } from "../accounts/publicAccount";
import { createSecretBox } from "../crypto/secretBox";
import { createDatabase } from "../db/client";
import { migrateDatabase } from "../db/migrate";
import { migrateLegacyImages } from "../media/migrateLegacyImages";
import { AppError } from "../errors";
import { MANIFEST, MEDIA_DIR, SECRET_FILE, sha256File, type BackupManifest } from "./backup";
import { codeMigrations, migrationsUpTo } from "./schemaState";
import { copyTableIn, databaseIsEmpty, resetSequences } from "./tables";

/**
 * Restores an archive written by createBackup into an empty database (or, with `force`, one
 * it wipes first): the schema the backup was taken with, then its rows, then this code's
 * newer migrations. Queue jobs are not restored: the worker's reconciler re-queues every
 * pending delivery from the rows at its first pass.
 */

export interface RestoreTarget {
  databaseUrl: string;
  /** Where secret.key and media go. */
  dataDir: string;
  /** POSTMORE_SECRET when set: the archive's key is then not written (the environment wins). */
  envSecret: string | undefined;
  bullmqSchema: string | false;
}

export interface RestoreReport {
  manifest: BackupManifest;
  rows: Record<string, number>;
  secret: "written" | "kept" | "from-environment";
  warnings: string[];
}

const fail = (message: string) => new AppError("conflict", message);

function readArchive(file: string, dir: string): Promise<BackupManifest> {
  if (!fs.existsSync(file)) throw new AppError("not_found", `no backup file at ${file}`);
  return tar
    .extract({ file, cwd: dir, strict: true })
    .then(() => JSON.parse(fs.readFileSync(path.join(dir, MANIFEST), "utf8")) as BackupManifest)
    .catch((err: unknown) => {
      throw new AppError("bad_request", `${file} is not a PostMore backup (${err instanceof Error ? err.message : String(err)})`);
    });
}

function verify(manifest: BackupManifest, dir: string): void {
  if (manifest.format !== 1) throw new AppError("bad_request", `unknown backup format ${String(manifest.format)}`);
  for (const t of manifest.tables) {
    if (sha256File(path.join(dir, t.file)) !== t.sha256) throw new AppError("bad_request", `${t.file} does not match its checksum: the archive is damaged`);
  }
  for (const m of manifest.media) {
    if (sha256File(path.join(dir, MEDIA_DIR, m.path)) !== m.sha256) throw new AppError("bad_request", `media/${m.path} does not match its checksum: the archive is damaged`);
  }
  const known = new Set(codeMigrations().map((e) => e.when));
  const newer = manifest.migrations.filter((m) => !known.has(m.createdAt));
  if (newer.length > 0) {
    throw new AppError(
      "conflict",
      `this backup was made by a newer PostMore (${manifest.app.version}, ${newer.length} migration(s) this code does not have): upgrade PostMore first, then restore`,
    );
  }
}

/** Decides what happens to the key before anything is written, so a refusal changes nothing. */
function planSecret(manifest: BackupManifest, dir: string, target: RestoreTarget, force: boolean): "written" | "kept" | "from-environment" {
  if (target.envSecret || !manifest.secret.included) return "from-environment";
  const keyFile = path.join(target.dataDir, SECRET_FILE);
  const archived = fs.readFileSync(path.join(dir, SECRET_FILE), "utf8");
  if (!fs.existsSync(keyFile)) return "written";
  if (fs.readFileSync(keyFile, "utf8").trim() === archived.trim()) return "kept";
  if (!force) throw fail(`${keyFile} holds a different credentials key than the backup; --force replaces it`);
  return "written";
}

async function wipe(client: pg.ClientBase, bullmqSchema: string | false): Promise<void> {
  const schemas = ["public", "drizzle", ...(bullmqSchema ? [bullmqSchema] : [])];
  for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS "${s.replace(/"/g, '""')}" CASCADE`);
  await client.query("CREATE SCHEMA public");
}

async function loadRows(client: pg.ClientBase, manifest: BackupManifest, dir: string): Promise<Record<string, number>> {
  const rows: Record<string, number> = {};
  await client.query("BEGIN");
  try {
    for (const t of manifest.tables) {
      rows[t.name] = await copyTableIn(client, t.name, t.columns, path.join(dir, t.file));
      if (rows[t.name] !== t.rows) throw new Error(`${t.name}: loaded ${rows[t.name]} rows, the backup has ${t.rows}`);
    }
    await resetSequences(client);
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK");
    throw err;
  }
  return rows;
}

async function keyWarnings(databaseUrl: string, secret: string | undefined): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; credentials: string }>(
      "SELECT id, credentials FROM social_accounts WHERE credentials <> '' LIMIT 1",
    );
    const sealed = rows[0]?.credentials;
    if (!sealed) return [];
    if (!secret) return ["No credentials key is available: set POSTMORE_SECRET to the key the backup was made with."];
    try {
      openCredentials(createSecretBox(secret), sealed, rows[0]!.id);
      return [];
    } catch {
      return ["The credentials key does not open the restored accounts: set POSTMORE_SECRET to the key the backup was made with."];
    }
  } finally {
    await client.end();
  }
}

export async function restoreBackup(file: string, target: RestoreTarget, opts: { force?: boolean } = {}): Promise<RestoreReport> {
  const force = opts.force ?? false;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "postmore-restore-"));
  const client = new pg.Client({ connectionString: target.databaseUrl });
  try {
    const manifest = await readArchive(path.resolve(file), dir);
    verify(manifest, dir);
    const secret = planSecret(manifest, dir, target, force);
    await client.connect();
    if (!(await databaseIsEmpty(client))) {
      if (!force) throw fail("the database already holds PostMore data; restore only into an empty one, or pass --force to replace it");
      await wipe(client, target.bullmqSchema);
    }
    const last = manifest.migrations[manifest.migrations.length - 1];
    const database = createDatabase(target.databaseUrl, { max: 1 });
    try {
      if (last) {
        const prefix = migrationsUpTo(last.createdAt);
        try {
          await migrate(database.db, { migrationsFolder: prefix.dir });
        } finally {
          prefix.cleanup();
        }
      }
      const rows = await loadRows(client, manifest, dir).catch((err: unknown) => {
        // The schema exists now, so a plain retry would be refused as "not empty".
        throw new AppError("unprocessable", `the restore failed while loading rows (${err instanceof Error ? err.message : String(err)}); fix the cause and run it again with --force`);
      });
      await migrateDatabase(database, { bullmqSchema: target.bullmqSchema });

      fs.mkdirSync(target.dataDir, { recursive: true });
      if (secret === "written") fs.copyFileSync(path.join(dir, SECRET_FILE), path.join(target.dataDir, SECRET_FILE));
      if (secret === "written") fs.chmodSync(path.join(target.dataDir, SECRET_FILE), 0o600);
      if (manifest.media.length > 0) fs.cpSync(path.join(dir, MEDIA_DIR), path.join(target.dataDir, MEDIA_DIR), { recursive: true, force: true });
      // A backup from before media by reference holds images inside posts: move them out now.
      await migrateLegacyImages(database.db, target.dataDir);
      const key = target.envSecret ?? (secret === "from-environment" ? undefined : fs.readFileSync(path.join(target.dataDir, SECRET_FILE), "utf8").trim());
      return { manifest, rows, secret, warnings: await keyWarnings(target.databaseUrl, key) };
    } finally {
      await database.close();
    }
  } finally {
    await client.end().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
