import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { JoseKey } from "@atproto/oauth-client-node";
import type { Config } from "../../../config";

const KEY_FILE = "bluesky-oauth-key.json";
const KID = "postmore-1";

/**
 * The confidential client's signing key (ES256). Given by BLUESKY_OAUTH_PRIVATE_KEY (PEM or
 * JWK), or created once in the data dir (mode 0600) and read by every process after: the
 * web and the worker must sign with the key the published JWKS names.
 */
export async function loadSigningKey(config: Config): Promise<JoseKey> {
  if (config.blueskyOAuth.privateKey) return JoseKey.fromImportable(config.blueskyOAuth.privateKey.trim(), KID);
  const file = path.join(config.dataDir, KEY_FILE);
  if (!fs.existsSync(file)) {
    const key = await JoseKey.generate(["ES256"], KID);
    fs.mkdirSync(config.dataDir, { recursive: true });
    // Written aside, then linked into place: a link never replaces a file, so when two
    // processes start at once the first key wins, and nobody reads a half-written file.
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(key.privateJwk), { mode: 0o600 });
    try {
      fs.linkSync(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }
  return JoseKey.fromJWK(fs.readFileSync(file, "utf8"), KID);
}
