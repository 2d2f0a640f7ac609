import { randomBytes } from "node:crypto";
import { dataDirSecretRotation } from "@/app/lib/crypto/dataDirSecret";
import { resealAllCredentials } from "@/app/lib/crypto/rotateSecret";
import { createSecretBox } from "@/app/lib/crypto/secretBox";
import { configOrExit, prepareDatabase, secretFor } from "./lib/prepare";

/**
 * `npm run cli -- rotate-secret`: every stored credential re-encrypted under a new key.
 * - POSTMORE_SECRET set: the new key must be given as POSTMORE_NEW_SECRET; afterwards the
 *   operator replaces POSTMORE_SECRET with it (nothing is printed).
 * - embedded mode (key in the data dir): POSTMORE_NEW_SECRET, or a fresh random key, is
 *   written to secret.key (the old one kept as secret.key.previous).
 * Stop the web and worker processes first: they hold the old key in memory.
 */
export async function rotateSecretCommand(): Promise<number> {
  const config = configOrExit();
  if (config.secret && !config.newSecret) {
    console.error("POSTMORE_SECRET is set: give the new key as POSTMORE_NEW_SECRET (generate one: openssl rand -hex 32).");
    return 2;
  }
  const { running, database } = await prepareDatabase(config);
  const fromDataDir = !config.secret;
  const oldSecret = secretFor(config, running);
  const newSecret = config.newSecret ?? randomBytes(32).toString("hex");
  const rotation = dataDirSecretRotation(config.dataDir);
  try {
    if (newSecret === oldSecret) throw new Error("the new key is the current key");
    if (fromDataDir) rotation.stage(newSecret);
    const { rows, upgraded } = await resealAllCredentials(database.db, createSecretBox(oldSecret), createSecretBox(newSecret));
    if (fromDataDir) rotation.promote();
    console.log(`re-encrypted the credentials of ${rows} account(s) under the new key (${upgraded} from the old v1 format)`);
    console.log(
      fromDataDir
        ? `the new key is in ${config.dataDir}/secret.key (the old one in secret.key.previous); start PostMore again`
        : "now set POSTMORE_SECRET to the value of POSTMORE_NEW_SECRET, remove POSTMORE_NEW_SECRET, and start PostMore again",
    );
    return 0;
  } catch (err) {
    if (fromDataDir) rotation.abandon();
    console.error(`error: ${(err as Error).message}`);
    return 1;
  } finally {
    await database.close();
    await running.stop();
  }
}
