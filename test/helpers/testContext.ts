import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "@/app/lib/config";
import { createAppContext, setAppContext, type AppContext } from "@/app/lib/context";
import { createUser, type PublicUser } from "@/app/lib/auth/users";
import { createApiToken } from "@/app/lib/auth/apiTokens";
import { LOOPBACK_ALLOWLIST } from "./loopback";
import type { BACKENDS } from "./queueBackends";

export { LOOPBACK_ALLOWLIST };
import { createTestDatabase, redisConnection } from "./testDb";

export interface TestContext {
  ctx: AppContext;
  databaseUrl: string;
  /** Redis key prefix of this suite (redis backend) — pass to child processes. */
  prefix: string;
  secret: string;
  close(): Promise<void>;
}

/**
 * A full application context for one suite: its own database (migrated), its own
 * queue namespace (Redis prefix or the suite's database), a fresh secret.
 * Also installed as the process context so route handlers can be called directly.
 */
export async function createTestContext(
  kind: (typeof BACKENDS)[number] = "postgres",
  env: Record<string, string> = {},
): Promise<TestContext> {
  const testDb = await createTestDatabase();
  const secret = randomBytes(32).toString("hex");
  const prefix = `{t${randomBytes(4).toString("hex")}}`;
  // Suites reach their local PDS through the allowlist; SSRF suites pass a narrower one.
  // Each suite its own data dir (media files), never the tree's ./data.
  const dataDir = env.POSTMORE_DATA_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), "postmore-data-"));
  const config = loadConfig({
    NODE_ENV: "test",
    LOG_LEVEL: "warn",
    QUEUE_BACKEND: kind,
    OUTBOUND_ALLOWLIST: LOOPBACK_ALLOWLIST,
    ...env,
    POSTMORE_DATA_DIR: dataDir,
  });
  const queue =
    kind === "redis"
      ? { kind, redis: redisConnection(), prefix }
      : { kind, postgres: { connectionString: testDb.url, schema: "bullmq" } };
  const ctx = createAppContext(config, { databaseUrl: testDb.url, secret, queue });
  setAppContext(ctx);
  return {
    ctx,
    databaseUrl: testDb.url,
    prefix,
    secret,
    async close() {
      setAppContext(undefined);
      await testDb.drop();
      if (!env.POSTMORE_DATA_DIR) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A second application context on the suite's database and PostgreSQL queues, as another
 * process would have (its own pool, locks and queues). The caller closes it.
 */
export function createPeerContext(t: TestContext, env: Record<string, string> = {}): AppContext {
  return createAppContext(loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", ...env }), {
    databaseUrl: t.databaseUrl,
    secret: t.secret,
    queue: { kind: "postgres", postgres: { connectionString: t.databaseUrl, schema: "bullmq" } },
  });
}

/** A user with an API token, ready for `Authorization: Bearer`. */
export async function createTestUser(
  ctx: AppContext,
  role: "admin" | "user" = "user",
): Promise<{ user: PublicUser; token: string }> {
  const email = `${role}-${randomBytes(4).toString("hex")}@example.test`;
  const user = await createUser(ctx.database.db, { email, password: "correct horse battery", role });
  const { token } = await createApiToken(ctx.database.db, email);
  return { user, token };
}
