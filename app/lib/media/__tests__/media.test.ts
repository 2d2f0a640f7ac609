import fs from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as upload } from "@/app/api/media/route";
import { GET as getOne } from "@/app/api/media/[id]/route";
import { GET as getThumb } from "@/app/api/media/[id]/thumbnail/route";
import type { Worker } from "bullmq";
import { connectAccount } from "@/app/lib/accounts/connectAccount";
import { getPostQueue, initPostQueue } from "@/app/lib/queues/postQueue";
import { createPostWorker } from "@/app/lib/queues/worker";
import { startFaultProxy, type FaultProxy } from "@/test/helpers/faultProxy";
import { media, posts } from "@/app/lib/db/schema";
import { ingestImageBytes } from "@/app/lib/media/ingest";
import { migrateLegacyImages } from "@/app/lib/media/migrateLegacyImages";
import { mediaFile } from "@/app/lib/media/store";
import { startTestPds, type TestPds } from "@/test/helpers/pds";
import { tinyPng } from "@/test/helpers/png";
import { postsApi, waitFor } from "@/test/helpers/postsApi";
import { createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";

/** Issue 15 item 4: images uploaded once, by reference, owner-only, metadata stripped. */

let t: TestContext;
let pds: TestPds;
let alice: { id: string; token: string };
let bob: { id: string; token: string };
let aliceAccountId = "";

type Body = BodyInit | ReadableStream<Uint8Array>;

async function send(token: string, body: Body, headers: Record<string, string> = {}) {
  const init: RequestInit & { duplex?: "half" } = { method: "POST", headers: { authorization: `Bearer ${token}`, ...headers }, body };
  if (body instanceof ReadableStream) init.duplex = "half";
  const res = await upload(new Request("http://localhost/api/media", init), { params: Promise.resolve({}) });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON shapes
  return { status: res.status, body: (await res.json()) as any };
}

async function fetchMedia(token: string, id: string, variant: "original" | "thumbnail" = "original") {
  const req = new Request(`http://localhost/api/media/${id}${variant === "thumbnail" ? "/thumbnail" : ""}`, { headers: { authorization: `Bearer ${token}` } });
  const res = await (variant === "original" ? getOne : getThumb)(req, { params: Promise.resolve({ id }) });
  return { status: res.status, type: res.headers.get("content-type"), bytes: Buffer.from(await res.arrayBuffer()) };
}

const filesUnder = (dir: string): string[] =>
  fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name)) : [];
const originals = () => filesUnder(path.join(t.ctx.config.dataDir, "media")).filter((f) => !f.includes(`${path.sep}thumbs${path.sep}`));

beforeAll(async () => {
  pds = await startTestPds();
  t = await createTestContext("postgres", { ATPROTO_PLC_URL: pds.plcUrl, ATPROTO_HANDLE_RESOLVER_URL: pds.url });
  const a = await createTestUser(t.ctx);
  const b = await createTestUser(t.ctx);
  alice = { id: a.user.id, token: a.token };
  bob = { id: b.user.id, token: b.token };
  const acct = await pds.createAccount("media");
  aliceAccountId = (await connectAccount(t.ctx, alice.id, { platform: "bluesky", identifier: acct.handle, appPassword: acct.appPassword, service: pds.url })).account.id;
}, 120_000);

afterAll(async () => {
  await t?.close();
  await pds?.close();
});

describe("POST /api/media", () => {
  it("stores an upload once per content: the same bytes again (any user) share one file", async () => {
    const png = await sharp({ create: { width: 800, height: 600, channels: 3, background: "#3a7" } }).png().toBuffer();
    const first = await send(alice.token, new Uint8Array(png), { "content-type": "image/png" });
    expect(first.status).toBe(201);
    expect(first.body.media).toMatchObject({ mimeType: "image/png", width: 800, height: 600, thumbnailUrl: `/api/media/${first.body.media.id}/thumbnail` });
    expect(first.body.media.size).toBeGreaterThan(0);
    const again = await send(alice.token, new Uint8Array(png));
    expect(again.status).toBe(201);
    expect(again.body.media.id).toBe(first.body.media.id);
    const other = await send(bob.token, new Uint8Array(png));
    expect(other.status).toBe(201);
    expect(other.body.media.id).not.toBe(first.body.media.id);
    const [row] = await t.ctx.database.db.select().from(media).where(eq(media.id, first.body.media.id));
    expect(originals().filter((f) => f.endsWith(row!.sha256))).toEqual([mediaFile(t.ctx.config.dataDir, row!.sha256)]);

    const thumb = await fetchMedia(alice.token, first.body.media.id, "thumbnail");
    expect(thumb.status).toBe(200);
    expect(thumb.type).toBe("image/webp");
    expect(await sharp(thumb.bytes).metadata()).toMatchObject({ format: "webp", width: 320, height: 240 });
  });

  it("refuses an anonymous upload (401) or a bad token", async () => {
    const anon = await upload(new Request("http://localhost/api/media", { method: "POST", body: new Uint8Array(tinyPng()) }), { params: Promise.resolve({}) });
    expect(anon.status).toBe(401);
    expect((await send("not-a-token", new Uint8Array(tinyPng()))).status).toBe(401);
  });

  it("judges the type by the bytes, not the Content-Type", async () => {
    const html = await send(alice.token, "<html><script>alert(1)</script></html>", { "content-type": "image/png" });
    expect(html.status).toBe(415);
    expect(html.body.error.code).toBe("unsupported_media_type");
    const png = await send(alice.token, new Uint8Array(tinyPng(3, 3)), { "content-type": "text/plain" });
    expect(png.status).toBe(201);
    expect(png.body.media.mimeType).toBe("image/png");
    // Magic bytes of a PNG with nothing readable after them: refused, nothing stored.
    const fake = await send(alice.token, new Uint8Array(Buffer.concat([tinyPng().subarray(0, 16), Buffer.alloc(64, 7)])));
    expect(fake.status).toBe(422);
  });

  it("refuses an upload over the cap with 413, also when it is chunked without a length", async () => {
    const before = originals().length;
    const big = Buffer.concat([tinyPng(), Buffer.alloc(t.ctx.config.media.maxBytes, 1)]);
    expect((await send(alice.token, new Uint8Array(big))).status).toBe(413);
    let sent = 0;
    const chunked = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent > t.ctx.config.media.maxBytes * 3) return c.close();
        c.enqueue(sent === 0 ? new Uint8Array(tinyPng()) : new Uint8Array(64 * 1024));
        sent += 64 * 1024;
      },
    });
    const res = await send(alice.token, chunked);
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe("payload_too_large");
    // The stream was cancelled near the cap, not read to its end; nothing was kept.
    expect(sent).toBeLessThan(t.ctx.config.media.maxBytes * 2);
    expect(originals().length).toBe(before);
    expect(filesUnder(path.join(t.ctx.config.dataDir, "media-tmp"))).toEqual([]);
  });

  it("strips EXIF (and turns the image upright by it)", async () => {
    const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: "#c33" } })
      .jpeg()
      .withExif({ IFD0: { Copyright: "Jane Doe", ImageDescription: "taken at home" } })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect((await sharp(jpeg).metadata()).exif).toBeDefined();
    const res = await send(alice.token, new Uint8Array(jpeg));
    expect(res.status).toBe(201);
    expect(res.body.media).toMatchObject({ mimeType: "image/jpeg", width: 48, height: 64 });
    const stored = await fetchMedia(alice.token, res.body.media.id);
    expect(stored.status).toBe(200);
    const meta = await sharp(stored.bytes).metadata();
    expect(meta.exif).toBeUndefined();
    expect(meta.orientation).toBeUndefined();
    expect(stored.bytes.includes(Buffer.from("Jane Doe"))).toBe(false);
  });

  it("serves an image to its owner only: anyone else gets 404", async () => {
    const up = await send(alice.token, new Uint8Array(tinyPng(5, 5, [1, 2, 3])));
    const id = up.body.media.id as string;
    const own = await fetchMedia(alice.token, id);
    expect(own.status).toBe(200);
    expect(own.type).toBe("image/png");
    expect((await sharp(own.bytes).metadata()).width).toBe(5);
    expect((await fetchMedia(bob.token, id)).status).toBe(404);
    expect((await fetchMedia(bob.token, id, "thumbnail")).status).toBe(404);
    expect((await fetchMedia(alice.token, "not-a-uuid")).status).toBe(404);
  });
});

describe("posts reference media", () => {
  it("takes images by id, shows references, and refuses someone else's id", async () => {
    const up = await send(alice.token, new Uint8Array(tinyPng(6, 6)));
    const api = postsApi(alice.token);
    const at = new Date(Date.now() + 3_600_000).toISOString();
    const created = await api.create({ text: "by reference", accountIds: [aliceAccountId], scheduledAt: at, images: [{ mediaId: up.body.media.id, alt: "a square" }] });
    expect(created.status).toBe(201);
    const image = { mediaId: up.body.media.id, alt: "a square", mimeType: "image/png", url: `/api/media/${up.body.media.id}` };
    expect(created.body.post.images).toEqual([image]);
    expect((await api.list()).body.posts.find((p: { id: string }) => p.id === created.body.post.id).images).toEqual([image]);

    const bobsUpload = await send(bob.token, new Uint8Array(tinyPng(7, 7)));
    const refused = await api.create({ text: "not mine", accountIds: [aliceAccountId], scheduledAt: at, images: [{ mediaId: bobsUpload.body.media.id, alt: "x" }] });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain("unknown media id");

    // PATCH replaces the first post's images.
    const patched = await api.patch(created.body.post.id, { images: [] });
    expect(patched.status).toBe(200);
    expect(patched.body.post.images).toBeUndefined();
  });

  it("stores base64 images sent the old way as media: the post holds a reference, not bytes", async () => {
    const api = postsApi(alice.token);
    const created = await api.create({
      text: "old client",
      accountIds: [aliceAccountId],
      scheduledAt: new Date(Date.now() + 3_600_000).toISOString(),
      images: [{ data: tinyPng(9, 9).toString("base64"), mimeType: "image/jpeg", alt: "sent inline" }],
    });
    expect(created.status).toBe(201);
    const [shown] = created.body.post.images;
    expect(shown).toMatchObject({ alt: "sent inline", mimeType: "image/png" }); // the bytes say PNG
    const [row] = await t.ctx.database.db.select({ content: posts.content }).from(posts).where(eq(posts.id, created.body.post.id));
    expect(JSON.stringify(row!.content)).not.toContain('"data"');
    expect((await fetchMedia(alice.token, shown.mediaId)).status).toBe(200);
  });

  it("moves base64 images of posts stored before media by reference, idempotently", async () => {
    const db = t.ctx.database.db;
    const legacy = {
      images: [{ data: tinyPng(11, 11).toString("base64"), mimeType: "image/png", alt: "legacy one" }],
      thread: [{ text: "part two", images: [{ data: tinyPng(12, 12).toString("base64"), mimeType: "image/png", alt: "legacy two" }] }],
    };
    const [post] = await db
      .insert(posts)
      .values({ userId: alice.id, text: "stored long ago", content: legacy, scheduledAt: new Date(Date.now() + 3_600_000) })
      .returning();
    // A run that crashed after storing the first image (file and row) but before rewriting the post.
    const half = await ingestImageBytes({ db, dataDir: t.ctx.config.dataDir }, alice.id, tinyPng(11, 11), "images.0");

    const first = await migrateLegacyImages(db, t.ctx.config.dataDir);
    expect(first).toMatchObject({ posts: 1, images: 2, left: 0 });
    const again = await migrateLegacyImages(db, t.ctx.config.dataDir);
    expect(again).toEqual({ posts: 0, images: 0, left: 0 });

    const shown = await postsApi(alice.token).get(post!.id);
    expect(shown.body.post.images).toEqual([{ mediaId: half.id, alt: "legacy one", mimeType: "image/png", url: `/api/media/${half.id}` }]);
    const second = shown.body.post.thread[0].images[0];
    expect(second).toMatchObject({ alt: "legacy two", mimeType: "image/png" });
    expect((await sharp((await fetchMedia(alice.token, second.mediaId)).bytes).metadata()).width).toBe(12);
    const [row] = await db.select({ content: posts.content }).from(posts).where(eq(posts.id, post!.id));
    expect(JSON.stringify(row!.content)).not.toContain('"data"');
  });
});

describe("publishing a post with a media reference", () => {
  let proxy: FaultProxy;
  let worker: Worker;
  let did = "";
  let accountId = "";

  beforeAll(async () => {
    initPostQueue(t.ctx, { retryDelayMs: 200 });
    proxy = await startFaultProxy(pds.url);
    const acct = await pds.createAccount("pub");
    did = acct.did;
    accountId = (await connectAccount(t.ctx, alice.id, { platform: "bluesky", identifier: acct.handle, appPassword: acct.appPassword, service: proxy.url })).account.id;
    worker = createPostWorker(t.ctx) as Worker;
    await worker.waitUntilReady();
  });

  afterAll(async () => {
    await worker?.close();
    await getPostQueue(t.ctx).close();
    await proxy?.close();
  });

  it("the worker reads the file and publishes the image with its alt text, once, even when a response is lost", async () => {
    const up = await send(alice.token, new Uint8Array(await sharp({ create: { width: 300, height: 200, channels: 3, background: "#258" } }).png().toBuffer()));
    expect(up.status).toBe(201);
    const api = postsApi(alice.token);
    const text = `with a media reference ${Date.now()}`;
    // The PDS writes the record but the answer never arrives: the retry must find it, not post again.
    proxy.inject("com.atproto.repo.putRecord", { kind: "drop_after_commit" }, 1);
    const created = await api.create({ text, accountIds: [accountId], images: [{ mediaId: up.body.media.id, alt: "a dark blue rectangle" }] });
    expect(created.status).toBe(201);
    const post = await waitFor(
      "the post to settle",
      async () => {
        const { body } = await api.get(created.body.post.id);
        return ["published", "failed", "partially_failed"].includes(body.post.status) ? body.post : undefined;
      },
      60_000,
    );
    expect(post.status).toBe("published");
    expect(post.deliveries[0].history.map((h: { outcome: string }) => h.outcome)).toEqual(["retry", "already_published"]);
    const onPds = (await pds.listPosts(did)).filter((r) => r.value.text === text);
    expect(onPds).toHaveLength(1);
    const record = await pds.getRecord(did, onPds[0]!.uri.split("/").pop()!);
    const embed = record!.value.embed as { images: Array<{ alt: string; aspectRatio: unknown; image: { size: number; mimeType: string } }> };
    expect(embed.images).toHaveLength(1);
    expect(embed.images[0]).toMatchObject({ alt: "a dark blue rectangle", aspectRatio: { width: 300, height: 200 }, image: { size: up.body.media.size, mimeType: "image/png" } });
  }, 90_000);
});
