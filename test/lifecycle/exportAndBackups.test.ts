import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as listBackupsRoute } from "@/app/api/admin/backups/route";
import { GET as exportRoute } from "@/app/api/posts/export/route";
import { backupIfDue, listBackups, startLauncherBackups } from "@/app/lib/lifecycle/backupSchedule";
import { call } from "@/test/helpers/http";
import { postsApi, waitFor } from "@/test/helpers/postsApi";
import { createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";

/** A user's posts as JSON and CSV downloads (own posts only), and the admin's list of backups. */

let t: TestContext;
let alice = "";
let bob = "";
let admin = "";
let publishedId = "";
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "postmore-export-"));
const did = "did:plc:abcdefghijklmnopqrstuvwx";

beforeAll(async () => {
  t = await createTestContext("postgres", { POSTMORE_DATA_DIR: dataDir, BACKUP_INTERVAL_HOURS: "24", BACKUP_KEEP: "2" });
  const a = await createTestUser(t.ctx);
  alice = a.token;
  bob = (await createTestUser(t.ctx)).token;
  admin = (await createTestUser(t.ctx, "admin")).token;
  // Accounts are inserted directly: the export reads rows, no PDS is involved.
  const pool = t.ctx.database.pool;
  const acct = await pool.query<{ id: string }>(
    "INSERT INTO social_accounts (user_id, platform, remote_id, handle, instance_url, credentials) VALUES ($1, 'bluesky', $2, 'alice.test', 'http://127.0.0.1:9', 'v1.x.y.z') RETURNING id",
    [a.user.id, did],
  );
  const accountId = acct.rows[0]!.id;
  const api = postsApi(alice);
  const first = await api.create({
    text: '=SUM(A1), "quoted", and a comma',
    thread: [{ text: "second segment" }],
    accountIds: [accountId],
    scheduledAt: "2030-03-01T09:30:00+01:00",
    timeZone: "Europe/Berlin",
  });
  expect(first.status).toBe(201);
  publishedId = first.body.post.id;
  await pool.query("UPDATE deliveries SET status = 'published', remote_uri = $1, published_at = now() WHERE post_id = $2", [
    `at://${did}/app.bsky.feed.post/3kabc`,
    publishedId,
  ]);
  expect((await api.create({ text: "later one", accountIds: [accountId], scheduledAt: "2030-04-01T08:00:00Z", timeZone: "UTC" })).status).toBe(201);
}, 120_000);

afterAll(async () => {
  await t?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe("GET /api/posts/export", () => {
  it("gives the user's own posts as JSON with text, times, time zone, accounts, status and links", async () => {
    const res = await call(exportRoute, { path: "/api/posts/export?format=json", token: alice });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toMatch(/attachment; filename="postmore-posts-\d{4}-\d{2}-\d{2}\.json"/);
    expect(res.body.posts).toHaveLength(2);
    expect(res.body.posts[0]).toMatchObject({
      id: publishedId,
      text: '=SUM(A1), "quoted", and a comma',
      thread: ["second segment"],
      scheduledAt: "2030-03-01T08:30:00.000Z",
      localTime: "2030-03-01 09:30",
      timeZone: "Europe/Berlin",
      accounts: [{ platform: "bluesky", handle: "alice.test", status: "published", link: `https://bsky.app/profile/${did}/post/3kabc` }],
    });
    expect(res.body.posts[1]).toMatchObject({ text: "later one", status: "scheduled", accounts: [{ status: "pending", link: null }] });
  });

  it("gives the same as CSV, quoted, with formulas defused", async () => {
    const res = await call(exportRoute, { path: "/api/posts/export?format=csv", token: alice });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const lines = (res.body as string).trimEnd().split("\r\n");
    expect(lines[0]).toBe("id,scheduled_at_utc,local_time,time_zone,status,text,thread,accounts,links,created_at");
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain(`${publishedId},2030-03-01T08:30:00.000Z,2030-03-01 09:30,Europe/Berlin,`);
    expect(lines[1]).toContain(`,"'=SUM(A1), ""quoted"", and a comma",second segment,alice.test (published),https://bsky.app/profile/${did}/post/3kabc,`);
  });

  it("never shows another user's posts, refuses strangers and unknown formats", async () => {
    const other = await call(exportRoute, { path: "/api/posts/export", token: bob });
    expect(other.status).toBe(200);
    expect(other.body.posts).toEqual([]);
    expect((await call(exportRoute, { path: "/api/posts/export" })).status).toBe(401);
    const bad = await call(exportRoute, { path: "/api/posts/export?format=xml", token: alice });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("validation_failed");
  });
});

describe("scheduled backups and GET /api/admin/backups", () => {
  it("backs up when due, keeps the configured number, and lists them for admins only", async () => {
    const source = { databaseUrl: t.databaseUrl, dataDir, secretFromEnv: true };
    const settings = t.ctx.config.backups;
    const day = 24 * 3_600_000;
    const start = Date.now();
    const made: string[] = [];
    for (let i = 0; i < 3; i++) {
      const file = await backupIfDue(source, settings, new Date(start + i * day));
      expect(file).toBeDefined();
      made.push(path.basename(file!));
    }
    // Within the interval of the newest: nothing new.
    expect(await backupIfDue(source, settings, new Date(start + 2 * day + 3_600_000))).toBeUndefined();
    expect(listBackups(path.join(dataDir, "backups")).map((b) => b.name)).toEqual([made[2], made[1]]);

    const res = await call(listBackupsRoute, { path: "/api/admin/backups", token: admin });
    expect(res.status).toBe(200);
    expect(res.body.backups).toHaveLength(2);
    expect(res.body.backups[0]).toMatchObject({ name: made[2], scheduled: true });
    expect(res.body.backups[0].bytes).toBeGreaterThan(0);
    expect(res.body.schedule).toMatchObject({ intervalHours: 24, keep: 2, dir: path.join(dataDir, "backups") });
    expect((await call(listBackupsRoute, { path: "/api/admin/backups", token: alice })).status).toBe(403);
  }, 120_000);

  it("the launcher's schedule backs up the embedded install at start, and never an external database", async () => {
    const launcherDir = fs.mkdtempSync(path.join(os.tmpdir(), "postmore-sched-"));
    try {
      const config = { ...t.ctx.config, dataDir: launcherDir };
      await startLauncherBackups(config, { url: t.databaseUrl, embedded: false }).stop();
      expect(listBackups(path.join(launcherDir, "backups"))).toEqual([]);
      const schedule = startLauncherBackups(config, { url: t.databaseUrl, embedded: true });
      const [first] = await waitFor("the first scheduled backup", async () => {
        const list = listBackups(path.join(launcherDir, "backups"));
        return list.length > 0 && list;
      }, 60_000, 200);
      await schedule.stop();
      expect(first).toMatchObject({ scheduled: true });
      expect(first!.name).toMatch(/^postmore-auto-.*\.tar\.gz$/);
    } finally {
      fs.rmSync(launcherDir, { recursive: true, force: true });
    }
  }, 120_000);
});
