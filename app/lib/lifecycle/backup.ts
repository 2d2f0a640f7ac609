import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import * as tar from "tar";
import { appliedMigrations, type AppliedMigration } from "./schemaState";
import { copyTableOut, tableColumns, tablesInLoadOrder, type TableDump } from "./tables";

/**
 * One backup = one .tar.gz: manifest.json, every table as a COPY file (all read in one
 * REPEATABLE READ transaction, so the rows agree with each other while PostMore keeps
 * running), the credentials key when it lives in the data dir, and media files when there
 * are any. The queues are not in it: they are derived data the reconciler rebuilds.
 *
 * Not pg_dump: the embedded PostgreSQL ships no client tools, and a system pg_dump older than
 * the server refuses to dump it. COPY works against any server version we run on.
 */

export const MANIFEST = "manifest.json";
export const SECRET_FILE = "secret.key";
export const MEDIA_DIR = "media";

export interface BackupManifest {
  format: 1;
  app: { name: string; version: string };
  createdAt: string;
  postgres: string;
  migrations: AppliedMigration[];
  tables: TableDump[];
  /** Whether secret.key is in the archive; without it, restore needs the same POSTMORE_SECRET. */
  secret: { included: boolean; note: string };
  media: Array<{ path: string; bytes: number; sha256: string }>;
}

export interface BackupSource {
  databaseUrl: string;
  dataDir: string;
  /** True when the credentials key comes from POSTMORE_SECRET rather than <dataDir>/secret.key. */
  secretFromEnv: boolean;
}

export const sha256File = (file: string): string => createHash("sha256").update(fs.readFileSync(file)).digest("hex");

export function backupFileName(at = new Date()): string {
  return `postmore-${at.toISOString().replace(/\.\d+Z$/, "Z").replace(/:/g, "-")}.tar.gz`;
}

function appVersion(): { name: string; version: string } {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(process.cwd(), "package.json"), "utf8")) as { name: string; version: string };
    return { name: pkg.name, version: pkg.version };
  } catch {
    return { name: "postmore", version: "unknown" };
  }
}

function listFiles(root: string, rel = ""): string[] {
  const dir = path.join(root, rel);
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(rel, e.name);
    return e.isDirectory() ? listFiles(root, p) : e.isFile() ? [p] : [];
  });
}

async function dumpDatabase(databaseUrl: string, dir: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const version = (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? "unknown";
    const migrations = await appliedMigrations(client);
    const tables: TableDump[] = [];
    fs.mkdirSync(path.join(dir, "db"));
    for (const name of await tablesInLoadOrder(client)) {
      const columns = await tableColumns(client, name);
      const file = `db/${name}.copy`;
      const rows = await copyTableOut(client, name, columns, path.join(dir, file));
      tables.push({ name, columns, rows, file, sha256: sha256File(path.join(dir, file)) });
    }
    await client.query("COMMIT");
    return { version, migrations, tables };
  } finally {
    await client.end();
  }
}

function secretNote(included: boolean, fromEnv: boolean): BackupManifest["secret"] {
  if (included) return { included, note: "secret.key from the data dir is in this archive: keep the archive private." };
  if (fromEnv) {
    return {
      included,
      note: "The credentials key comes from POSTMORE_SECRET in the environment and is not in this archive: keep it safe separately; restore needs the same value.",
    };
  }
  return { included, note: "No credentials key exists yet (npm start creates one); there are no sealed credentials to lose." };
}

/** Writes the archive to `outFile` (mode 0600: it holds the key and the sealed credentials). */
export async function createBackup(source: BackupSource, outFile: string): Promise<{ file: string; bytes: number; manifest: BackupManifest }> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "postmore-backup-"));
  try {
    const { version, migrations, tables } = await dumpDatabase(source.databaseUrl, work);
    const entries = [MANIFEST, "db"];
    const keyFile = path.join(source.dataDir, SECRET_FILE);
    const includeKey = !source.secretFromEnv && fs.existsSync(keyFile);
    if (includeKey) {
      fs.copyFileSync(keyFile, path.join(work, SECRET_FILE));
      entries.push(SECRET_FILE);
    }
    const mediaRoot = path.join(source.dataDir, MEDIA_DIR);
    const media = listFiles(mediaRoot).map((p) => ({
      path: p,
      bytes: fs.statSync(path.join(mediaRoot, p)).size,
      sha256: sha256File(path.join(mediaRoot, p)),
    }));
    if (media.length > 0) {
      fs.cpSync(mediaRoot, path.join(work, MEDIA_DIR), { recursive: true });
      entries.push(MEDIA_DIR);
    }
    const manifest: BackupManifest = {
      format: 1,
      app: appVersion(),
      createdAt: new Date().toISOString(),
      postgres: version,
      migrations,
      tables,
      secret: secretNote(includeKey, source.secretFromEnv),
      media,
    };
    fs.writeFileSync(path.join(work, MANIFEST), JSON.stringify(manifest, null, 2));
    const out = path.resolve(outFile);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    // Written beside the target and renamed, so a listing never shows half an archive.
    const partial = `${out}.partial`;
    await tar.create({ gzip: true, file: partial, cwd: work, portable: true }, entries);
    fs.chmodSync(partial, 0o600);
    fs.renameSync(partial, out);
    return { file: out, bytes: fs.statSync(out).size, manifest };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
