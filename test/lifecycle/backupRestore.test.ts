import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as connect } from "@/app/api/accounts/route";
import { POST as uploadMedia } from "@/app/api/media/route";
import { call } from "@/test/helpers/http";
import { startTestPds, type TestPds } from "@/test/helpers/pds";
import { tinyPng } from "@/test/helpers/png";
import { postsApi, waitFor } from "@/test/helpers/postsApi";
import { createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";
import { adminUrl } from "@/test/helpers/testDb";
import { startWorkerProcess, type WorkerProcess } from "@/test/helpers/workerProcess";
import { runCli } from "./cli";

/**
 * The round trip a self-hoster relies on: posts scheduled to a real PDS, a backup, the
 * database gone, a restore into an empty one, and a worker that publishes each post exactly
 * once (the queue was not in the backup: the reconciler re-queues the pending deliveries).
 */

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "postmore-lc-"));
const archive = path.join(dir, "backup.tar.gz");
let t: TestContext;
let pds: TestPds;
let worker: WorkerProcess | undefined;
let did = "";
let targetUrl = "";
const targetName = `r_${randomBytes(6).toString("hex")}`;
const texts = ["first restored post", "second restored post", "third restored post"];

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

const envFor = (databaseUrl: string) => ({
  DATABASE_URL: databaseUrl,
  POSTMORE_SECRET: t.secret,
  QUEUE_BACKEND: "postgres",
  POSTMORE_DATA_DIR: dir,
});

beforeAll(async () => {
  pds = await startTestPds();
  // Uploads land in the data dir the backup reads and the restore writes.
  t = await createTestContext("postgres", { ATPROTO_PLC_URL: pds.plcUrl, ATPROTO_HANDLE_RESOLVER_URL: pds.url, POSTMORE_DATA_DIR: dir });
  const { token } = await createTestUser(t.ctx);
  const acct = await pds.createAccount("rt");
  did = acct.did;
  const res = await call(connect, { method: "POST", token, body: { platform: "bluesky", identifier: acct.handle, appPassword: acct.appPassword, service: pds.url } });
  expect(res.status).toBe(201);
  const api = postsApi(token);
  // Due a few seconds after the restore starts; no worker runs against this database.
  const at = new Date(Date.now() + 5_000).toISOString();
  // The first post carries an uploaded image: its file must survive the round trip.
  const up = await uploadMedia(
    new Request("http://localhost/api/media", { method: "POST", headers: { authorization: `Bearer ${token}` }, body: new Uint8Array(tinyPng(8, 8)) }),
    { params: Promise.resolve({}) },
  );
  expect(up.status).toBe(201);
  const mediaId = ((await up.json()) as { media: { id: string } }).media.id;
  for (const text of texts) {
    const images = text === texts[0] ? { images: [{ mediaId, alt: "restored square" }] } : {};
    expect((await api.create({ text, accountIds: [res.body.account.id], scheduledAt: at, ...images })).status).toBe(201);
  }
  const cancelled = await api.create({ text: "cancelled before the backup", accountIds: [res.body.account.id], scheduledAt: at });
  expect((await api.cancel(cancelled.body.post.id)).status).toBe(200);
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${targetName}`);
  await admin.end();
  targetUrl = adminUrl().replace(/\/postgres$/, `/${targetName}`);
}, 180_000);

afterAll(async () => {
  worker?.kill("SIGKILL");
  await worker?.exited;
  await pds?.close();
  await t?.close().catch(() => undefined);
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${targetName} WITH (FORCE)`);
  await admin.end();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("backup → wipe → restore", () => {
  it("backs up, restores into an empty database, and every pending post publishes exactly once", async () => {
    const before = await query<{ n: number }>(t.databaseUrl, "SELECT count(*)::int AS n FROM deliveries WHERE status = 'pending'");
    expect(before[0]?.n).toBe(3);

    const backup = await runCli(["backup", "--out", archive], envFor(t.databaseUrl));
    expect(backup.output).toContain("backup written");
    expect(backup.code).toBe(0);
    expect(backup.output).toMatch(/POSTMORE_SECRET in the environment/);

    await t.close(); // the wipe: the source database is dropped, and the media files with it
    fs.rmSync(path.join(dir, "media"), { recursive: true, force: true });

    const restored = await runCli(["restore", archive], envFor(targetUrl));
    expect(restored.output).toMatch(/rows: .*posts 4/);
    expect(restored.code).toBe(0);
    const users = await query<{ n: number }>(targetUrl, "SELECT count(*)::int AS n FROM users");
    expect(users[0]?.n).toBe(1);

    // A second restore onto the now non-empty database is refused and changes nothing.
    const again = await runCli(["restore", archive], envFor(targetUrl));
    expect(again.code).toBe(1);
    expect(again.output).toContain("already holds PostMore data");
    expect((await query<{ n: number }>(targetUrl, "SELECT count(*)::int AS n FROM posts"))[0]?.n).toBe(4);

    worker = startWorkerProcess(envFor(targetUrl));
    await waitFor(
      "the restored posts to publish",
      async () => (await query<{ n: number }>(targetUrl, "SELECT count(*)::int AS n FROM deliveries WHERE status = 'published'"))[0]?.n === 3,
      90_000,
      500,
    );
    const onPds = (await pds.listPosts(did)).map((r) => r.value.text as string).sort();
    expect(onPds).toEqual([...texts].sort());
    // The image came back from the archive: the worker read it and published it with its alt text.
    const withImage = (await pds.listPosts(did)).find((r) => r.value.text === texts[0]);
    expect((withImage!.value.embed as { images: Array<{ alt: string }> }).images.map((i) => i.alt)).toEqual(["restored square"]);
    const statuses = await query<{ status: string; n: number }>(targetUrl, "SELECT status, count(*)::int AS n FROM posts GROUP BY status ORDER BY status");
    expect(statuses).toEqual([
      { status: "cancelled", n: 1 },
      { status: "published", n: 3 },
    ]);
  }, 240_000);

  it("--force replaces a non-empty database; posts already out are not published twice", async () => {
    worker?.kill("SIGKILL");
    await worker?.exited;
    await query(targetUrl, "DELETE FROM posts WHERE status = 'cancelled'");
    const forced = await runCli(["restore", archive, "--force"], envFor(targetUrl));
    expect(forced.code).toBe(0);
    const statuses = await query<{ status: string; n: number }>(targetUrl, "SELECT status, count(*)::int AS n FROM posts GROUP BY status ORDER BY status");
    expect(statuses).toEqual([
      { status: "cancelled", n: 1 },
      { status: "scheduled", n: 3 },
    ]);
    // The backup predates the publishing: its deliveries are pending again, yet each writes
    // the record key chosen at scheduling, so the PDS still holds one record per post.
    worker = startWorkerProcess(envFor(targetUrl));
    await waitFor(
      "the re-restored deliveries to settle",
      async () => (await query<{ n: number }>(targetUrl, "SELECT count(*)::int AS n FROM deliveries WHERE status = 'published'"))[0]?.n === 3,
      90_000,
      500,
    );
    expect((await pds.listPosts(did)).map((r) => r.value.text as string).sort()).toEqual([...texts].sort());
  }, 180_000);
});
