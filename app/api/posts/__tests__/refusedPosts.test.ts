import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getPostQueue, initPostQueue } from "@/app/lib/queues/postQueue";
import { createMemoryPlatform, insertMemoryAccount } from "@/test/helpers/memoryPlatform";
import { tinyPng } from "@/test/helpers/png";
import { postsApi } from "@/test/helpers/postsApi";
import { createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";

/**
 * A refused post changes nothing: images sent inline (base64) are stored only once every
 * check passed, together with the post — no media row, no file for a refusal.
 */
describe("a refused post stores none of its images", () => {
  let tc: TestContext;
  let unregister: () => void;
  let api: ReturnType<typeof postsApi>;
  let accountId: string;

  beforeAll(async () => {
    tc = await createTestContext("postgres");
    unregister = createMemoryPlatform().register(tc.ctx);
    initPostQueue(tc.ctx);
    const u = await createTestUser(tc.ctx);
    api = postsApi(u.token);
    accountId = (await insertMemoryAccount(tc.ctx, u.user.id)).id;
  });

  afterAll(async () => {
    await getPostQueue(tc.ctx)?.close();
    unregister?.();
    await tc?.close();
  });

  const filesUnder = (dir: string): string[] =>
    fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name)).sort() : [];
  /** What a refused request must leave as it was: the media table, the media files and temp files, the posts. */
  async function state() {
    const q = (sql: string) => tc.ctx.database.pool.query(sql).then((r) => r.rows);
    return {
      media: await q("SELECT id, sha256 FROM media ORDER BY id"),
      posts: await q("SELECT id, text, content FROM posts ORDER BY id"),
      files: filesUnder(path.join(tc.ctx.config.dataDir, "media")),
      temp: filesUnder(path.join(tc.ctx.config.dataDir, "media-tmp")),
    };
  }
  // A new image each time (content-addressed: the same bytes would be found stored already).
  let shade = 0;
  const inlineImage = () => ({ data: tinyPng(3, 3, [10, 20, (shade += 7) % 256]).toString("base64"), mimeType: "image/png", alt: "a dot" });
  const tooLong = "x".repeat(301);

  it("POST /api/posts: a valid base64 image with an over-long text → 400, no media row, no file", async () => {
    const before = await state();
    const res = await api.create({ text: tooLong, accountIds: [accountId], images: [inlineImage()] });
    // Content a platform refuses is a validation error (400 validation_failed, as for any bad field).
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "validation_failed", message: expect.stringMatching(/301 characters/) });
    expect(await state()).toEqual(before);

    // Also when the over-long part is later in a thread than the image.
    const thread = await api.create({ text: "fine", accountIds: [accountId], images: [inlineImage()], thread: [{ text: tooLong, images: [inlineImage()] }] });
    expect(thread.status).toBe(400);
    expect(await state()).toEqual(before);
  });

  it("POST /api/posts: an accepted post stores its inline image once, as a reference", async () => {
    const before = await state();
    const res = await api.create({ text: "with a picture", accountIds: [accountId], images: [inlineImage()] });
    expect(res.status).toBe(201);
    const after = await state();
    expect(after.media).toHaveLength(before.media.length + 1);
    const row = after.media.find((m) => !before.media.some((b) => b.id === m.id))!;
    expect(res.body.post.images[0]).toMatchObject({ mediaId: row.id, alt: "a dot" });
    // The original and its thumbnail.
    expect(after.files.filter((f) => !before.files.includes(f)).map((f) => path.basename(f))).toEqual([row.sha256, `${row.sha256}.webp`].sort());
    expect(after.temp).toEqual([]);
  });

  it("PATCH /api/posts/:id: new base64 images with an over-long text → 400, nothing changes", async () => {
    const created = await api.create({ text: "to edit", accountIds: [accountId], scheduledAt: new Date(Date.now() + 86_400_000).toISOString() });
    expect(created.status).toBe(201);
    const before = await state();
    const res = await api.patch(created.body.post.id, { text: tooLong, images: [inlineImage()] });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("validation_failed");
    expect(await state()).toEqual(before);

    const ok = await api.patch(created.body.post.id, { images: [inlineImage()] });
    expect(ok.status).toBe(200);
    expect((await state()).media).toHaveLength(before.media.length + 1);
  });

  it("PATCH /api/posts/:id: new base64 images on a post already cancelled → 409, no media row, no file", async () => {
    const created = await api.create({ text: "to cancel", accountIds: [accountId], scheduledAt: new Date(Date.now() + 86_400_000).toISOString() });
    expect((await api.cancel(created.body.post.id)).status).toBe(200);
    const before = await state();
    const res = await api.patch(created.body.post.id, { images: [inlineImage()] });
    expect(res.status).toBe(409);
    expect(await state()).toEqual(before);
  });
});
