import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPlatformAccount } from "@/app/lib/accounts/service";
import { credentialsContext } from "@/app/lib/accounts/publicAccount";
import { sessionContext } from "@/app/lib/api/bluesky/oauth/stores";
import { createSecretBox } from "@/app/lib/crypto/secretBox";
import { insertMemoryAccount } from "@/test/helpers/memoryPlatform";
import { createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";
import { createWebhook } from "@/app/lib/webhooks/service";
import { webhookSecretContext } from "@/app/lib/webhooks/signature";
import { sealV1 } from "./legacySeal";

const root = path.resolve(import.meta.dirname, "../../../..");

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/cli.ts", ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", NODE_ENV: "test", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, output })));
}

describe("credentials sealed per row, and rotate-secret", () => {
  let t: TestContext;
  let ids: string[] = [];
  let webhook: { id: string; secret: string };
  const sealedOf = async (id: string) =>
    (await t.ctx.database.pool.query("select credentials from social_accounts where id = $1", [id])).rows[0].credentials as string;

  beforeAll(async () => {
    t = await createTestContext("postgres");
    const { user } = await createTestUser(t.ctx);
    const { user: other } = await createTestUser(t.ctx);
    ids = [(await insertMemoryAccount(t.ctx, user.id)).id, (await insertMemoryAccount(t.ctx, user.id)).id, (await insertMemoryAccount(t.ctx, other.id)).id];
    webhook = await createWebhook(t.ctx, user.id, { url: "https://example.com/hook", events: ["post.failed"] });
    // A disconnected account: its credentials were erased, so there is nothing of it to re-seal.
    const gone = await insertMemoryAccount(t.ctx, other.id);
    await t.ctx.database.pool.query("update social_accounts set credentials = '', disconnected_at = now(), status = 'disabled' where id = $1", [gone.id]);
  });
  afterAll(async () => {
    await t?.close();
  });

  it("another row's sealed credentials, copied over, do not open", async () => {
    const [a, , c] = ids as [string, string, string];
    const original = await sealedOf(c);
    await t.ctx.database.pool.query("update social_accounts set credentials = $2 where id = $1", [c, await sealedOf(a)]);
    await expect(loadPlatformAccount(t.ctx, c)).rejects.toThrow();
    await t.ctx.database.pool.query("update social_accounts set credentials = $2 where id = $1", [c, original]);
    expect((await loadPlatformAccount(t.ctx, c)).credentials.appPassword).toBe("app-pass");
  });

  it("re-encrypts every row under the new key, v1 rows included, and refuses to start without a new key", async () => {
    const [a, b] = ids as [string, string];
    const legacy = JSON.stringify({ appPassword: "legacy-pass", accessJwt: "a", refreshJwt: "r" });
    await t.ctx.database.pool.query("update social_accounts set credentials = $2 where id = $1", [b, sealV1(t.secret, legacy)]);
    expect((await loadPlatformAccount(t.ctx, b)).credentials.appPassword).toBe("legacy-pass");

    const env = { DATABASE_URL: t.databaseUrl, POSTMORE_SECRET: t.secret, QUEUE_BACKEND: "postgres" };
    const refused = await runCli(["rotate-secret"], env);
    expect(refused.code).toBe(2);
    expect(refused.output).toMatch(/POSTMORE_NEW_SECRET/);
    expect((await loadPlatformAccount(t.ctx, a)).credentials.appPassword).toBe("app-pass");

    // An OAuth session (branch oauth) moves to the new key with the accounts.
    const oauthSession = JSON.stringify({ tokenSet: { sub: "did:plc:rotate" } });
    await t.ctx.database.pool.query("insert into bluesky_oauth_sessions (did, value) values ($1, $2)", [
      "did:plc:rotate",
      t.ctx.box.seal(oauthSession, sessionContext("did:plc:rotate")),
    ]);

    const newSecret = randomBytes(32).toString("hex");
    const run = await runCli(["rotate-secret"], { ...env, POSTMORE_NEW_SECRET: newSecret });
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/3 account\(s\).*1 from the old v1 format/);
    expect(run.output).not.toContain(newSecret);

    const oldBox = createSecretBox(t.secret);
    const newBox = createSecretBox(newSecret);
    for (const id of ids) {
      const sealed = await sealedOf(id);
      expect(sealed.startsWith("v2.")).toBe(true);
      expect(() => oldBox.open(sealed, credentialsContext(id))).toThrow();
      expect(JSON.parse(newBox.open(sealed, credentialsContext(id))).appPassword).toBe(id === b ? "legacy-pass" : "app-pass");
    }
    // Webhook signing secrets move too (signatures keep verifying after a rotation).
    const hook = (await t.ctx.database.pool.query("select secret from webhooks where id = $1", [webhook.id])).rows[0].secret as string;
    expect(() => oldBox.open(hook, webhookSecretContext(webhook.id))).toThrow();
    expect(newBox.open(hook, webhookSecretContext(webhook.id))).toBe(webhook.secret);
    const oauthSealed = (await t.ctx.database.pool.query("select value from bluesky_oauth_sessions where did = $1", ["did:plc:rotate"])).rows[0].value as string;
    expect(newBox.open(oauthSealed, sessionContext("did:plc:rotate"))).toBe(oauthSession);
  });
});
