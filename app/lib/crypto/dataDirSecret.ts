import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/**
 * Embedded mode keeps its encryption key in the data dir, created on first start
 * (mode 0600). Losing this file means stored account credentials cannot be read.
 */
export function loadOrCreateDataDirSecret(dataDir: string): string {
  const file = path.join(dataDir, "secret.key");
  if (fs.existsSync(file)) return fs.readFileSync(file, "utf8").trim();
  fs.mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString("hex");
  fs.writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: "wx" });
  return secret;
}

/**
 * Key rotation in the data dir, in two steps around the database transaction:
 * `stage` writes the new key to secret.key.next before any row changes (so a crash after
 * the commit still leaves the key on disk), `promote` keeps the old one as
 * secret.key.previous and renames the new one into place.
 */
export const dataDirSecretRotation = (dataDir: string) => {
  const file = path.join(dataDir, "secret.key");
  const next = `${file}.next`;
  return {
    stage(secret: string): void {
      fs.writeFileSync(next, `${secret}\n`, { mode: 0o600 });
    },
    promote(): void {
      if (fs.existsSync(file)) {
        fs.copyFileSync(file, `${file}.previous`);
        fs.chmodSync(`${file}.previous`, 0o600);
      }
      fs.renameSync(next, file);
    },
    abandon(): void {
      fs.rmSync(next, { force: true });
    },
  };
};
