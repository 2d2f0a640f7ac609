import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import pg from "pg";
import type { RedisMemoryServer } from "redis-memory-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as connect } from "@/app/api/accounts/route";
import { loadConfig } from "@/app/lib/config";
import { runDoctor, type Check, type DoctorInput } from "@/app/lib/lifecycle/doctor";
import { startWorkers, type RunningWorkers } from "@/app/lib/queues/worker";
import { mastodonHarness } from "@/test/conformance/harnesses";
import { freePort } from "@/test/helpers/freePort";
import { MastodonDouble } from "@/test/mastodon/mastodonDouble";
import { call } from "@/test/helpers/http";
import { DEAD_URL, startTestPds, type TestPds } from "@/test/helpers/pds";
import { startTestRedis } from "@/test/helpers/redis";
import { createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";
import { adminUrl } from "@/test/helpers/testDb";
import { runCli } from "./cli";

/** `doctor` against real services: everything healthy passes, and each failure is caught and explained. */

let t: TestContext;
let pds: TestPds;
let mastodon: MastodonDouble;
let redis: RedisMemoryServer;
let workers: RunningWorkers | undefined;
let accountId = "";
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "postmore-doctor-"));
const emptyName = `d_${randomBytes(6).toString("hex")}`;

const input = (over: Partial<DoctorInput> = {}): DoctorInput => ({
  config: { ...t.ctx.config, dataDir },
  databaseUrl: t.databaseUrl,
  secret: t.secret,
  secretSource: "POSTMORE_SECRET",
  ...over,
});
const byName = (checks: Check[], name: string) => checks.find((c) => c.name === name) ?? checks.find((c) => c.name.startsWith(name));
const failing = (checks: Check[]) => checks.filter((c) => !c.ok).map((c) => c.name);
const cliEnv = () => ({ DATABASE_URL: t.databaseUrl, POSTMORE_SECRET: t.secret, QUEUE_BACKEND: "postgres", POSTMORE_DATA_DIR: dataDir, OUTBOUND_ALLOWLIST: `${pds.env.OUTBOUND_ALLOWLIST},${new URL(mastodon.url).host}` });

beforeAll(async () => {
  pds = await startTestPds();
  t = await createTestContext("postgres", { ATPROTO_PLC_URL: pds.plcUrl, ATPROTO_HANDLE_RESOLVER_URL: pds.url });
  redis = await startTestRedis();
  const { token } = await createTestUser(t.ctx);
  const acct = await pds.createAccount("doc");
  const res = await call(connect, { method: "POST", token, body: { platform: "bluesky", identifier: acct.handle, appPassword: acct.appPassword, service: pds.url } });
  expect(res.status).toBe(201);
  accountId = res.body.account.id;
  // A Mastodon account too: its server is checked on a Mastodon path, not on the PDS's /xrpc/_health.
  mastodon = await new MastodonDouble().start();
  await mastodonHarness(t.ctx, token, mastodon);
}, 180_000);

afterAll(async () => {
  await workers?.close(5_000);
  await redis?.stop();
  await pds?.close();
  await mastodon?.close();
  await t?.close();
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${emptyName} WITH (FORCE)`);
  await admin.end();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe("doctor", () => {
  it("fails the worker check while no worker runs (CLI exit code 1)", async () => {
    const checks = await runDoctor(input());
    expect(failing(checks)).toEqual(["worker"]);
    expect(byName(checks, "worker")?.detail).toMatch(/scheduled posts will wait/);
    const cli = await runCli(["doctor"], cliEnv());
    expect(cli.output).toMatch(/\[FAIL\] worker/);
    expect(cli.code).toBe(1);
  }, 120_000);

  it("passes every check with a worker running (CLI exit code 0)", async () => {
    workers = await startWorkers(t.ctx);
    const checks = await runDoctor(input());
    expect(failing(checks)).toEqual([]);
    expect(checks.map((c) => c.name)).toEqual(["database", "queue", "credentials key", "worker", "clock", `PDS ${pds.url}`, `Mastodon server ${mastodon.url}`, "disk"]);
    const cli = await runCli(["doctor"], cliEnv());
    expect(cli.output).toContain("All checks passed.");
    expect(cli.code).toBe(0);
  }, 120_000);

  it("explains an unreachable database", async () => {
    const url = `postgres://postgres:postgres@127.0.0.1:${await freePort()}/nothing`;
    const checks = await runDoctor(input({ databaseUrl: url }));
    expect(byName(checks, "database")).toMatchObject({ ok: false, detail: expect.stringMatching(/unreachable/) });
    expect(byName(checks, "worker")?.detail).toMatch(/not checked: the database is unreachable/);
  }, 60_000);

  it("explains a database that was never migrated", async () => {
    const admin = new pg.Client({ connectionString: adminUrl() });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${emptyName}`);
    await admin.end();
    const checks = await runDoctor(input({ databaseUrl: adminUrl().replace(/\/postgres$/, `/${emptyName}`) }));
    expect(byName(checks, "database")).toMatchObject({ ok: false, detail: expect.stringMatching(/not migrated: 0 of \d+ migrations/) });
  }, 60_000);

  it("explains an unreachable Redis, and a Redis that may evict jobs", async () => {
    const dead = loadConfig({ NODE_ENV: "test", QUEUE_BACKEND: "redis", REDIS_HOST: "127.0.0.1", REDIS_PORT: String(await freePort()) });
    const down = await runDoctor(input({ config: { ...dead, dataDir } }));
    expect(byName(down, "queue")).toMatchObject({ ok: false, detail: expect.stringMatching(/Redis\) does not answer/) });

    const port = await redis.getPort();
    const admin = new Redis({ host: "127.0.0.1", port });
    await admin.config("SET", "maxmemory-policy", "allkeys-lru");
    admin.disconnect();
    const lru = loadConfig({ NODE_ENV: "test", QUEUE_BACKEND: "redis", REDIS_HOST: "127.0.0.1", REDIS_PORT: String(port), QUEUE_PREFIX: `{d${randomBytes(3).toString("hex")}}` });
    const evicting = await runDoctor(input({ config: { ...lru, dataDir } }));
    expect(byName(evicting, "queue")).toMatchObject({ ok: false, detail: expect.stringMatching(/maxmemory-policy noeviction/) });
  }, 60_000);

  it("explains a missing credentials key and one that does not open the stored credentials", async () => {
    const missing = await runDoctor(input({ secret: undefined, secretSource: "/srv/postmore/data/secret.key" }));
    expect(byName(missing, "credentials key")).toMatchObject({ ok: false, detail: expect.stringMatching(/secret.key is missing/) });
    const wrong = await runDoctor(input({ secret: randomBytes(32).toString("hex") }));
    expect(byName(wrong, "credentials key")).toMatchObject({ ok: false, detail: expect.stringMatching(/not the key they were sealed with/) });
  }, 60_000);

  it("explains a clock that disagrees with the database", async () => {
    const checks = await runDoctor(input({ now: () => Date.now() + 60_000 }));
    expect(byName(checks, "clock")).toMatchObject({ ok: false, detail: expect.stringMatching(/60\.\d s ahead of the database/) });
  }, 60_000);

  it("explains an account whose PDS does not answer", async () => {
    await t.ctx.database.pool.query("UPDATE social_accounts SET instance_url = $1 WHERE id = $2", [DEAD_URL, accountId]);
    try {
      const checks = await runDoctor(input());
      expect(byName(checks, "PDS")).toMatchObject({ name: `PDS ${DEAD_URL}`, ok: false, detail: expect.stringMatching(/unreachable .*will fail/) });
    } finally {
      await t.ctx.database.pool.query("UPDATE social_accounts SET instance_url = $1 WHERE id = $2", [pds.url, accountId]);
    }
  }, 60_000);

  it("explains a data dir short of disk space (CLI --min-free-mb)", async () => {
    const cli = await runCli(["doctor", "--min-free-mb", String(1024 ** 3)], cliEnv());
    expect(cli.output).toMatch(/\[FAIL\] disk: only [\d.]+ GB free/);
    expect(cli.code).toBe(1);
  }, 60_000);
});
