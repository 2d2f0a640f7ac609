import { loadConfig } from "./config";
import { createAppContext, getAppContext, hasAppContext, setAppContext, type AppContext } from "./context";
import { loadOrCreateDataDirSecret } from "./crypto/dataDirSecret";
import { initPostQueue } from "./queues/postQueue";

/**
 * Application initialisation, shared by the web process (instrumentation.ts) and the
 * worker (scripts/worker.ts): validate config, assemble the context, create the queues.
 */
export function initApp(): AppContext {
  if (hasAppContext()) return getAppContext();
  const config = loadConfig();
  const secret = config.secret ?? (config.databaseUrl ? undefined : loadOrCreateDataDirSecret(config.dataDir));
  const ctx = createAppContext(config, { secret });
  setAppContext(ctx);
  initPostQueue(ctx);
  return ctx;
}
