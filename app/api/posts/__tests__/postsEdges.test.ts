import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as image from "@/app/api/posts/[id]/images/[segment]/[n]/route";
import { getPostQueue, initPostQueue } from "@/app/lib/queues/postQueue";
import { createMemoryPlatform, insertMemoryAccount } from "@/test/helpers/memoryPlatform";
import { tinyPng } from "@/test/helpers/png";
import { postsApi } from "@/test/helpers/postsApi";
import { createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";

/** Issue 12 items 4 and 5 at the HTTP edge: explicit times, ranges, pages, no image bytes in lists. */
describe("posts API edges", () => {
  let tc: TestContext;
  let unregister: () => void;
  let api: ReturnType<typeof postsApi>;
  let token: string;
  let otherToken: string;
  let accountId: string;

  beforeAll(async () => {
    tc = await createTestContext("postgres");
    unregister = createMemoryPlatform().register(tc.ctx);
    initPostQueue(tc.ctx);
    const u = await createTestUser(tc.ctx);
    token = u.token;
    api = postsApi(token);
    accountId = (await insertMemoryAccount(tc.ctx, u.user.id)).id;
    otherToken = (await createTestUser(tc.ctx)).token;
  });

  afterAll(async () => {
    await getPostQueue(tc.ctx)?.close();
    unregister?.();
    await tc?.close();
  });

  const minutesFromNow = (m: number) => new Date(Date.now() + m * 60_000).toISOString();
  const ids = (r: { body: { posts: Array<{ id: string }> } }) => r.body.posts.map((p) => p.id);

  it("refuses a time more than 5 minutes past with 422 scheduled_in_past, on create and on edit, and stores nothing", async () => {
    const before = await api.list("?limit=100");
    const refused = await api.create({ text: "yesterday's news", accountIds: [accountId], scheduledAt: minutesFromNow(-6) });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe("scheduled_in_past");
    expect(refused.body.error.message).toMatch(/past/);
    expect(ids(await api.list("?limit=100"))).toEqual(ids(before));

    const later = await api.create({ text: "tomorrow", accountIds: [accountId], scheduledAt: minutesFromNow(24 * 60) });
    expect(later.status).toBe(201);
    const patched = await api.patch(later.body.post.id, { scheduledAt: minutesFromNow(-60) });
    expect(patched.status).toBe(422);
    expect(patched.body.error.code).toBe("scheduled_in_past");
    expect((await api.get(later.body.post.id)).body.post.scheduledAt).toBe(later.body.post.scheduledAt);
  });

  it("reads a time a moment ago, no time, or publishNow as now", async () => {
    const t0 = Date.now();
    const skewed = await api.create({ text: "a slow form", accountIds: [accountId], scheduledAt: minutesFromNow(-2) });
    expect(skewed.status).toBe(201);
    const none = await api.create({ text: "right away", accountIds: [accountId] });
    expect(none.status).toBe(201);
    expect(new Date(none.body.post.scheduledAt).getTime()).toBeGreaterThanOrEqual(t0 - 1000);
    const now = await api.create({ text: "now please", accountIds: [accountId], publishNow: true });
    expect(now.status).toBe(201);
    expect(new Date(now.body.post.scheduledAt).getTime()).toBeGreaterThanOrEqual(t0 - 1000);
    const both = await api.create({ text: "which?", accountIds: [accountId], publishNow: true, scheduledAt: minutesFromNow(60) });
    expect(both.status).toBe(400);

    const later = await api.create({ text: "move me to now", accountIds: [accountId], scheduledAt: minutesFromNow(24 * 60) });
    const moved = await api.patch(later.body.post.id, { publishNow: true });
    expect(moved.status).toBe(200);
    expect(new Date(moved.body.post.scheduledAt).getTime()).toBeLessThan(Date.now() + 1000);
  });

  it("lists posts scheduled in [from, to), newest first, and pages past 100 with the cursor", async () => {
    const base = Date.UTC(2031, 0, 1, 12, 0, 0);
    const at = (i: number) => new Date(base + i * 3600_000).toISOString();
    const created: string[] = [];
    for (let i = 0; i < 130; i++) {
      const res = await api.create({ text: `range ${i}`, accountIds: [accountId], scheduledAt: at(i) });
      expect(res.status).toBe(201);
      created.push(res.body.post.id);
    }
    // [at(10), at(20)) holds posts 10..19, never 20.
    const window = await api.list(`?from=${encodeURIComponent(at(10))}&to=${encodeURIComponent(at(20))}&limit=100`);
    expect(window.status).toBe(200);
    expect(ids(window)).toEqual(created.slice(10, 20).reverse());
    expect(window.body.nextCursor).toBeNull();

    const seen: string[] = [];
    let cursor: string | null = "";
    while (cursor !== null) {
      const q: string = `?from=${encodeURIComponent(at(0))}&limit=100${cursor ? `&cursor=${cursor}` : ""}`;
      const page = await api.list(q);
      expect(page.status).toBe(200);
      seen.push(...ids(page));
      cursor = page.body.nextCursor;
    }
    expect(seen).toEqual([...created].reverse());

    const scheduledOnly = await api.list(`?from=${encodeURIComponent(at(0))}&to=${encodeURIComponent(at(5))}&status=cancelled`);
    expect(scheduledOnly.body.posts).toEqual([]);
    expect((await api.list(`?from=${encodeURIComponent(at(5))}&to=${encodeURIComponent(at(1))}`)).status).toBe(400);
    expect((await api.list("?from=yesterday")).status).toBe(400);
  });

  it("keeps image bytes out of lists and serves them to their owner only", async () => {
    const first = tinyPng(3, 3, [10, 200, 30]);
    const second = tinyPng(4, 4, [250, 10, 10]);
    const created = await api.create({
      text: "with pictures",
      accountIds: [accountId],
      scheduledAt: "2032-05-01T10:00:00Z",
      images: [{ data: first.toString("base64"), mimeType: "image/png", alt: "green square" }],
      thread: [{ text: "part two", images: [{ data: second.toString("base64"), mimeType: "image/png", alt: "red square" }] }],
    });
    expect(created.status).toBe(201);
    const id = created.body.post.id as string;
    const listed = await api.list("?from=2032-05-01T00:00:00Z&to=2032-05-02T00:00:00Z");
    const raw = JSON.stringify(listed.body);
    expect(raw).not.toContain(first.toString("base64"));
    expect(raw).not.toContain(second.toString("base64"));
    // References to the media store (the base64 sent was stored there), never bytes.
    const ref = (alt: string) => ({ mediaId: expect.any(String), alt, mimeType: "image/png", url: expect.stringMatching(/^\/api\/media\/[0-9a-f-]{36}$/) });
    expect(listed.body.posts[0].images).toEqual([ref("green square")]);
    expect(listed.body.posts[0].thread).toEqual([{ text: "part two", images: [ref("red square")] }]);

    const fetchImage = async (tok: string, segment: string, n: string) => {
      const req = new Request(`http://localhost/api/posts/${id}/images/${segment}/${n}`, { headers: { authorization: `Bearer ${tok}` } });
      return image.GET(req, { params: Promise.resolve({ id, segment, n }) });
    };
    const a = await fetchImage(token, "0", "0");
    expect(a.status).toBe(200);
    expect(a.headers.get("content-type")).toBe("image/png");
    // Stored re-encoded (metadata stripped): the same picture, not necessarily the same bytes.
    expect(await sharp(Buffer.from(await a.arrayBuffer())).metadata()).toMatchObject({ format: "png", width: 3, height: 3 });
    const b = await fetchImage(token, "1", "0");
    expect(await sharp(Buffer.from(await b.arrayBuffer())).metadata()).toMatchObject({ format: "png", width: 4, height: 4 });
    expect((await fetchImage(token, "1", "1")).status).toBe(404);
    expect((await fetchImage(token, "x", "0")).status).toBe(404);
    expect((await fetchImage(otherToken, "0", "0")).status).toBe(404);
  });
});
