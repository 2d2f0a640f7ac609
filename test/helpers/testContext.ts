import { randomBytes } from "node:crypto";
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
  const config = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "warn", QUEUE_BACKEND: kind, OUTBOUND_ALLOWLIST: LOOPBACK_ALLOWLIST, ...env });
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
    },
  };
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
