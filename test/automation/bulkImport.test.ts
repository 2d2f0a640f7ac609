import type { Worker } from "bullmq";
import { Temporal } from "temporal-polyfill";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getPostQueue, initPostQueue } from "@/app/lib/queues/postQueue";
import { createPostWorker } from "@/app/lib/queues/worker";
import { connectPdsAccounts } from "@/test/helpers/connectAccounts";
import { call } from "@/test/helpers/http";
import { startTestPds, type TestPds } from "@/test/helpers/pds";
import { waitFor } from "@/test/helpers/postsApi";
import { createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";
import { loadRoute } from "@/test/security/routes";

/** POST /api/posts/import against a real local PDS: all rows or nothing, then each post published once. */
describe("bulk import", () => {
  let pds: TestPds;
  let t: TestContext;
  let worker: Worker | undefined;
  let token = "";
  let userId = "";
  const accounts: Array<{ id: string; did: string; handle: string }> = [];

  beforeAll(async () => {
    pds = await startTestPds();
    t = await createTestContext("postgres", { ATPROTO_PLC_URL: pds.plcUrl, ATPROTO_HANDLE_RESOLVER_URL: pds.url });
    initPostQueue(t.ctx, { retryDelayMs: 200 });
    const u = await createTestUser(t.ctx);
    token = u.token;
    userId = u.user.id;
    const connected = await connectPdsAccounts(pds, token, ["imp1", "imp2"]);
    const list = await call((await loadRoute("/api/accounts")).GET!, { token });
    for (const c of connected) accounts.push({ ...c, handle: list.body.accounts.find((a: { id: string }) => a.id === c.id).handle });
  }, 180_000);
  afterAll(async () => {
    await worker?.close();
    if (t) await getPostQueue(t.ctx).close();
    await t?.close();
    await pds?.close();
  });

  const postCount = async () => (await t.ctx.database.pool.query("select count(*)::int as n from posts where user_id = $1", [userId])).rows[0].n as number;
  const upload = async (file: string, type = "text/csv") =>
    call((await loadRoute("/api/posts/import")).POST!, { method: "POST", path: "/api/posts/import", token, rawBody: file, headers: { "content-type": type } });
  /** A wall time a minute ago in Berlin, as a spreadsheet would hold it: due now. */
  const berlinNow = () =>
    Temporal.Now.zonedDateTimeISO("Europe/Berlin").subtract({ minutes: 1 }).toPlainDateTime().toString({ smallestUnit: "minute" }).replace("T", " ");

  it("refuses a file with one bad row, names the row, and stores nothing", async () => {
    const [a, b] = accounts;
    const csv = [
      "text,scheduledAt,timeZone,accounts",
      `"first, with a comma",${berlinNow()},Europe/Berlin,@${a!.handle}`,
      `second,${berlinNow()},Europe/Berlin,nobody.example.test`,
      `third,2030-01-01T09:00:00+01:00,,${b!.id}`,
    ].join("\n");
    const res = await upload(csv);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("import_invalid");
    expect(res.body.error.message).toContain("row 2");
    expect(res.body.error.details.rows).toEqual([{ row: 2, line: 3, message: expect.stringContaining("nobody.example.test") }]);
    expect(await postCount()).toBe(0);
  });

  it("refuses a row scheduled in the past, a bad time zone and a file of the wrong type, storing nothing", async () => {
    const [a] = accounts;
    const json = JSON.stringify({
      posts: [
        { text: "ok", scheduledAt: "2030-01-01 09:00", timeZone: "Europe/Berlin", accounts: [a!.handle] },
        { text: "late", scheduledAt: "2001-01-01T09:00:00Z", accounts: [a!.id] },
        { text: "zone", scheduledAt: "2030-01-01 09:00", timeZone: "Mars/Olympus", accounts: [a!.id] },
      ],
    });
    const res = await upload(json, "application/json");
    expect(res.status).toBe(422);
    expect(res.body.error.details.rows.map((r: { row: number }) => r.row)).toEqual([2, 3]);
    expect((await upload("text\nhello", "text/plain")).status).toBe(415);
    expect(await postCount()).toBe(0);
  });

  it("schedules every row of a good file, and each post is published exactly once on the PDS", async () => {
    const [a, b] = accounts;
    const stamp = Date.now();
    const texts = [`import one ${stamp}`, `import two ${stamp}`, `import three ${stamp}`];
    const csv = [
      "text,scheduledAt,timeZone,accounts",
      `${texts[0]},${berlinNow()},Europe/Berlin,${a!.handle} @${b!.handle}`,
      `${texts[1]},${new Date(Date.now() - 30_000).toISOString()},,${b!.id}`,
      `${texts[2]},${berlinNow()},Europe/Berlin,${a!.id}`,
    ].join("\r\n");
    const res = await upload(csv);
    expect(res.status).toBe(201);
    expect(res.body.imported).toBe(3);
    expect(res.body.posts.map((p: { status: string }) => p.status)).toEqual(["scheduled", "scheduled", "scheduled"]);
    expect(res.body.posts[0].timeZone).toBe("Europe/Berlin");
    expect(await postCount()).toBe(3);

    worker = createPostWorker(t.ctx) as Worker;
    const get = (await loadRoute("/api/posts/[id]")).GET!;
    for (const p of res.body.posts as Array<{ id: string }>) {
      const post = await waitFor(
        `imported post ${p.id} to publish`,
        async () => {
          const r = await call(get, { token, params: { id: p.id } });
          return ["published", "failed", "partially_failed"].includes(r.body.post.status) ? r.body.post : undefined;
        },
        90_000,
      );
      expect(post.status).toBe("published");
    }
    const onA = (await pds.listPosts(a!.did)).map((r) => r.value.text);
    const onB = (await pds.listPosts(b!.did)).map((r) => r.value.text);
    expect(onA.filter((x) => texts.includes(x as string)).sort()).toEqual([texts[0], texts[2]].sort());
    expect(onB.filter((x) => texts.includes(x as string)).sort()).toEqual([texts[0], texts[1]].sort());
  });
});
