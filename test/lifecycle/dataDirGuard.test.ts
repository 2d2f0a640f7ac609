import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./cli";

/**
 * The CLI never starts a second, empty database by accident: pointed at a data dir with no
 * data and no running PostMore, it refuses and names the directory; only create-admin (and
 * restore) initialise one, and say so. The embedded install's backup carries its key.
 */

// mkdtemp gives 0700; the embedded PostgreSQL runs as another user and must traverse it.
const mkdir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "postmore-guard-"));
  fs.chmodSync(d, 0o755);
  return d;
};
const dirs = [mkdir(), mkdir(), mkdir()];
const [first, second, archiveDir] = dirs as [string, string, string];
const password = "correct horse battery";

afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe("CLI data-dir guard (embedded)", () => {
  it("refuses every command but create-admin on an empty data dir, naming it, and creates nothing", async () => {
    for (const args of [
      ["create-user", "--email", "u@example.com", "--password", password],
      ["create-token", "--email", "u@example.com"],
      ["backup"],
      ["doctor"],
    ]) {
      const r = await runCli(args, { POSTMORE_DATA_DIR: first });
      expect(r.output).toContain(`No PostMore data in ${first}`);
      expect(r.code).toBe(1);
    }
    expect(fs.readdirSync(first)).toEqual([]);
  }, 120_000);

  it("create-admin says which data dir it initialised; later commands use it", async () => {
    const admin = await runCli(["create-admin", "--email", "admin@example.com", "--password", password], { POSTMORE_DATA_DIR: first });
    expect(admin.output).toContain(`initialised a new PostMore data dir at ${first}`);
    expect(admin.output).toContain("created admin admin@example.com");
    expect(admin.code).toBe(0);
    const user = await runCli(["create-user", "--email", "u@example.com", "--password", password], { POSTMORE_DATA_DIR: first });
    expect(user.output).not.toContain("initialised");
    expect(user.code).toBe(0);
  }, 120_000);

  it("backs up the embedded install with its key and restores it into an empty data dir", async () => {
    const key = "ab".repeat(32);
    fs.writeFileSync(path.join(first, "secret.key"), `${key}\n`, { mode: 0o600 });
    const archive = path.join(archiveDir, "embedded.tar.gz");
    const backup = await runCli(["backup", "--out", archive], { POSTMORE_DATA_DIR: first });
    expect(backup.output).toContain("secret.key from the data dir is in this archive");
    expect(backup.code).toBe(0);

    const restore = await runCli(["restore", archive], { POSTMORE_DATA_DIR: second });
    expect(restore.output).toContain(`initialised a new PostMore data dir at ${second}`);
    expect(restore.output).toMatch(/rows: users 2\b/);
    expect(restore.code).toBe(0);
    expect(fs.readFileSync(path.join(second, "secret.key"), "utf8").trim()).toBe(key);
    // The restored users are there: creating one of them again is refused.
    const dup = await runCli(["create-user", "--email", "u@example.com", "--password", password], { POSTMORE_DATA_DIR: second });
    expect(dup.code).toBe(1);
    expect(dup.output).toMatch(/already/i);
  }, 180_000);
});
