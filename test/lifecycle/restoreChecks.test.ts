import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import * as tar from "tar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBackup, type BackupManifest } from "@/app/lib/lifecycle/backup";
import { restoreBackup, type RestoreTarget } from "@/app/lib/lifecycle/restore";
import { createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";
import { adminUrl } from "@/test/helpers/testDb";

/** A restore refuses what it cannot restore faithfully, before it writes anything. */

let t: TestContext;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "postmore-rchk-"));
const archive = path.join(dir, "good.tar.gz");
const targetName = `c_${randomBytes(6).toString("hex")}`;
let target: RestoreTarget;

/** Unpacks the archive, lets `edit` change the files, packs it again under a new name. */
async function tampered(name: string, edit: (root: string) => void): Promise<string> {
  const root = fs.mkdtempSync(path.join(dir, "x-"));
  await tar.extract({ file: archive, cwd: root });
  edit(root);
  const out = path.join(dir, name);
  await tar.create({ gzip: true, file: out, cwd: root }, fs.readdirSync(root));
  return out;
}

async function tableCount(): Promise<number> {
  const c = new pg.Client({ connectionString: target.databaseUrl });
  await c.connect();
  try {
    return (await c.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname IN ('public', 'drizzle')")).rows[0]!.n;
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  t = await createTestContext("postgres");
  await createTestUser(t.ctx);
  await createBackup({ databaseUrl: t.databaseUrl, dataDir: dir, secretFromEnv: true }, archive);
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${targetName}`);
  await admin.end();
  target = { databaseUrl: adminUrl().replace(/\/postgres$/, `/${targetName}`), dataDir: dir, envSecret: t.secret, bullmqSchema: "bullmq" };
}, 120_000);

afterAll(async () => {
  await t?.close();
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${targetName} WITH (FORCE)`);
  await admin.end();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("restore refuses", () => {
  it("a damaged archive (a table file that does not match its checksum)", async () => {
    const bad = await tampered("damaged.tar.gz", (root) => fs.appendFileSync(path.join(root, "db", "users.copy"), "x\n"));
    await expect(restoreBackup(bad, target)).rejects.toThrow(/db\/users.copy does not match its checksum/);
    expect(await tableCount()).toBe(0);
  });

  it("a backup made by a newer PostMore (a migration this code does not have)", async () => {
    const newer = await tampered("newer.tar.gz", (root) => {
      const file = path.join(root, "manifest.json");
      const m = JSON.parse(fs.readFileSync(file, "utf8")) as BackupManifest;
      m.migrations.push({ hash: "f".repeat(64), createdAt: 4_102_444_800_000 });
      fs.writeFileSync(file, JSON.stringify(m));
    });
    await expect(restoreBackup(newer, target)).rejects.toThrow(/made by a newer PostMore .* upgrade PostMore first/);
    expect(await tableCount()).toBe(0);
  });

  it("a file that is not a backup", async () => {
    const junk = path.join(dir, "junk.tar.gz");
    fs.writeFileSync(junk, "not a tarball");
    await expect(restoreBackup(junk, target)).rejects.toThrow(/is not a PostMore backup/);
  });

  it("and then restores the good archive into the same, still empty, database", async () => {
    const report = await restoreBackup(archive, target);
    expect(report.rows.users).toBe(1);
    expect(report.secret).toBe("from-environment");
  });
});
