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
