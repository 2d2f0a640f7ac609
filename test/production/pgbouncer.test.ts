import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { loadConfig } from "@/app/lib/config";
import { createAppContext, setAppContext, type AppContext } from "@/app/lib/context";
import { createDatabase } from "@/app/lib/db/client";
import { migrateDatabase } from "@/app/lib/db/migrate";
import { getPostQueue } from "@/app/lib/queues/postQueue";
import { connectPdsAccounts } from "@/test/helpers/connectAccounts";
import { startPgBouncer, type RunningPgBouncer } from "@/test/helpers/pgbouncer";
import { startTestPds, type TestPds } from "@/test/helpers/pds";
import { postsApi, waitFor } from "@/test/helpers/postsApi";
import { createTestUser } from "@/test/helpers/testContext";
import { adminUrl } from "@/test/helpers/testDb";
import { startWorkerProcess, type WorkerProcess } from "@/test/helpers/workerProcess";

/**
 * docs/PRODUCTION.md's PgBouncer set-up, run: session pooling, `ignore_startup_parameters =
 * options` (the PostgreSQL queue backend names its schema in that start-up parameter, which
 * PgBouncer 1.18 refuses) and `search_path = public, bullmq` set on the role for the
 * database instead. Migrations (two at once), the web's requests and a worker process all go
 * through PgBouncer; every post reaches the local PDS once.
 */
describe("behind PgBouncer in session mode", () => {
  const name = `pgb_${randomBytes(5).toString("hex")}`;
  const secret = randomBytes(32).toString("hex");
  let bouncer: RunningPgBouncer;
  let pds: TestPds;
  let ctx: AppContext | undefined;
  let worker: WorkerProcess | undefined;

  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: adminUrl() });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    await admin(`CREATE DATABASE ${name}`);
    await admin(`ALTER ROLE postgres IN DATABASE ${name} SET search_path = public, bullmq`);
    bouncer = await startPgBouncer({ pgPort: inject("pgPort"), database: name });
    pds = await startTestPds();
  }, 120_000);

  afterAll(async () => {
    setAppContext(undefined);
    if (worker) {
      worker.kill("SIGKILL");
      await worker.exited;
    }
    if (ctx) {
      await getPostQueue(ctx).close();
      await ctx.database.close();
    }
    await bouncer?.close();
    await pds?.close();
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });

  it("migrates, takes posts and publishes each once, on the PostgreSQL queue backend", async () => {
    // Two processes starting at once both migrate: the migrator's session lock holds through PgBouncer.
    const migrators = [createDatabase(bouncer.url), createDatabase(bouncer.url)];
    await Promise.all(migrators.map((d) => migrateDatabase(d)));
    const { rows } = await migrators[0]!.pool.query<{ table_schema: string; table_name: string }>(
      "select table_schema, table_name from information_schema.tables where table_name in ('posts', 'job') order by table_name",
    );
    // PostMore's tables stay in public, BullMQ's in its own schema.
    expect(rows).toEqual([
      { table_schema: "bullmq", table_name: "job" },
      { table_schema: "public", table_name: "posts" },
    ]);
    await Promise.all(migrators.map((d) => d.close()));

    ctx = createAppContext(loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", QUEUE_BACKEND: "postgres", ...pds.env }), {
      databaseUrl: bouncer.url,
      secret,
    });
    setAppContext(ctx);
    const { token } = await createTestUser(ctx, "admin");
    const [acct] = await connectPdsAccounts(pds, token, ["bouncer"]);
    const accountId = acct!.id;

    worker = startWorkerProcess({ DATABASE_URL: bouncer.url, POSTMORE_SECRET: secret, QUEUE_BACKEND: "postgres", LOG_LEVEL: "warn" });
    const api = postsApi(token);
    const texts = Array.from({ length: 20 }, (_, i) => `through pgbouncer ${i}`);
    for (const text of texts) expect((await api.create({ text, accountIds: [accountId] })).status).toBe(201);

    await waitFor(
      "every post published",
      async () => {
        const r = await ctx!.database.pool.query("select count(*)::int as n from deliveries where status = 'published'");
        return r.rows[0].n === texts.length;
      },
      90_000,
      250,
    );
    const published = (await pds.listPosts(acct!.did)).map((r) => r.value.text as string);
    expect(published.sort()).toEqual([...texts].sort());
    expect(worker.output()).not.toContain("unsupported startup parameter");
  }, 180_000);
});
