import { ConfigError, loadConfig, type Config } from "@/app/lib/config";
import { loadOrCreateDataDirSecret } from "@/app/lib/crypto/dataDirSecret";
import type { RunningDatabase } from "@/app/lib/embedded/embeddedPostgres";
import { setLogLevel } from "@/app/lib/logger";

/** Reads the config or exits with the one message that lists every bad variable. */
export function configOrExit(): Config {
  try {
    const config = loadConfig();
    setLogLevel(config.logLevel);
    return config;
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

export function secretFor(config: Config, running: RunningDatabase): string {
  if (config.secret) return config.secret;
  if (running.embedded) return loadOrCreateDataDirSecret(config.dataDir);
  console.error("POSTMORE_SECRET must be set when DATABASE_URL is set (generate one: openssl rand -hex 32).");
  process.exit(1);
}
