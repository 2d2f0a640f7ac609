import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Worker } from "bullmq";
import { AtpAgent } from "@atproto/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as repostsRoute from "@/app/api/reposts/route";
import * as repostItem from "@/app/api/reposts/[id]/route";
import { connectAccount } from "@/app/lib/accounts/connectAccount";
import type { AppContext } from "@/app/lib/context";
import { getPostQueue, initPostQueue } from "@/app/lib/queues/postQueue";
import { getTokenRefreshQueue } from "@/app/lib/queues/tokenRefreshQueue";
import { createPostWorker } from "@/app/lib/queues/worker";
import { startFaultProxy, type FaultProxy } from "@/test/helpers/faultProxy";
import { call } from "@/test/helpers/http";
import { startTestPds, type TestAccount, type TestPds } from "@/test/helpers/pds";
import { tinyPng } from "@/test/helpers/png";
import { postsApi, waitFor } from "@/test/helpers/postsApi";
import { createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";

/**
 * Bluesky rich posts (issue 16 items 3, 4, 5, 6, 8) end to end: the API, the real post worker
 * and the real local PDS behind a fault proxy. Each record kind is read back from the PDS.
 */
let pds: TestPds;
let tc: TestContext;
let ctx: AppContext;
let proxy: FaultProxy;
let worker: Worker;
let token: string;
let userId: string;
let api: ReturnType<typeof postsApi>;
let site: { url: string; close(): Promise<void> };
let hiddenSite: { url: string; close(): Promise<void> };
let author: TestAccount;
let quoted: { uri: string; cid: string; rkey: string };

const THUMB = tinyPng(40, 20);

/** A web page with Open Graph tags and its image; `/broken` answers 500. */
async function startSite(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.url === "/article") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(`<!doctype html><html><head><title>Fallback title</title>
        <meta property="og:title" content="Spring &amp; the garden">
        <meta property="og:description" content="Ten things to plant in March.">
        <meta property="og:image" content="/thumb.png"></head><body><p>hello</p></body></html>`);
    } else if (req.url === "/big-article") {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(`<html><head><meta property="og:title" content="Huge picture"><meta property="og:image" content="/big.png"></head></html>`);
    } else if (req.url === "/big.png") {
      // Over Bluesky's 1 MB thumbnail limit.
      res.writeHead(200, { "content-type": "image/png" });
      res.end(Buffer.concat([THUMB, Buffer.alloc(1_000_001)]));
    } else if (req.url === "/thumb.png") {
      res.writeHead(200, { "content-type": "image/png", "content-length": String(THUMB.length) });
      res.end(THUMB);
    } else {
      res.writeHead(500).end("broken");
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

beforeAll(async () => {
  pds = await startTestPds();
  proxy = await startFaultProxy(pds.url);
  site = await startSite();
  hiddenSite = await startSite();
  const port = (u: string) => new URL(u).port;
  // The PDS, its proxy and one page server are allowlisted; the other page server is not (a private address).
  const allowlist = [pds.env.OUTBOUND_ALLOWLIST, `127.0.0.1:${port(proxy.url)}`, `127.0.0.1:${port(site.url)}`].join(",");
  tc = await createTestContext("postgres", { ...pds.env, OUTBOUND_ALLOWLIST: allowlist });
  ctx = tc.ctx;
  initPostQueue(ctx, { retryDelayMs: 200 });
  ({ token, user: { id: userId } } = await createTestUser(ctx));
  api = postsApi(token);
  worker = createPostWorker(ctx) as Worker;
  await worker.waitUntilReady();

  // Someone else's post to quote and repost, written straight on the PDS.
  author = await pds.createAccount("author");
  const agent = new AtpAgent({ service: pds.url });
  await agent.login({ identifier: author.handle, password: author.password });
  const res = await agent.post({ text: "the original post" });
  quoted = { uri: res.uri, cid: res.cid, rkey: res.uri.split("/").pop()! };
}, 120_000);

afterAll(async () => {
  await worker?.close();
  await Promise.all([getPostQueue(ctx).close(), getTokenRefreshQueue(ctx).close()]);
  await proxy?.close();
  await Promise.all([site?.close(), hiddenSite?.close()]);
  await tc?.close();
  await pds?.close();
});

async function connect(prefix: string): Promise<{ did: string; id: string }> {
  const acct = await pds.createAccount(prefix);
  const { account } = await connectAccount(ctx, userId, { platform: "bluesky", identifier: acct.handle, appPassword: acct.appPassword, service: proxy.url });
  return { did: acct.did, id: account.id };
}

const publishedPost = async (id: string) =>
  waitFor(`post ${id} to publish`, async () => {
    const post = (await api.get(id)).body.post;
    if (post.status === "failed") throw new Error(`post failed: ${JSON.stringify(post.deliveries)}`);
    return post.status === "published" ? post : undefined;
  }, 60_000);

const rkeyOf = (uri: string) => uri.split("/").pop()!;

describe("rich Bluesky posts on the PDS", () => {
  it("turns the first link into a card with title, description and thumbnail blob", async () => {
    const { did, id } = await connect("card");
    const created = await api.create({ text: `Read this: ${site.url}/article`, accountIds: [id] });
    expect(created.status).toBe(201);
    const post = await publishedPost(created.body.post.id);
    const record = await pds.getRecord(did, rkeyOf(post.deliveries[0].remoteUri));
    const embed = record!.value.embed as { $type: string; external: Record<string, unknown> };
    expect(embed.$type).toBe("app.bsky.embed.external");
    expect(embed.external).toMatchObject({ uri: `${site.url}/article`, title: "Spring & the garden", description: "Ten things to plant in March." });
    const thumb = embed.external.thumb as { mimeType: string; size: number };
    expect(thumb).toMatchObject({ mimeType: "image/png", size: THUMB.length });

    // A thumbnail over 1 MB is left out; the card stays.
    const big = await api.create({ text: `${site.url}/big-article`, accountIds: [id] });
    const bigRecord = await pds.getRecord(did, rkeyOf((await publishedPost(big.body.post.id)).deliveries[0].remoteUri));
    expect(bigRecord!.value.embed).toEqual({ $type: "app.bsky.embed.external", external: { uri: `${site.url}/big-article`, title: "Huge picture", description: "" } });
  });

  it("publishes the plain link when the page cannot be fetched (error answer, or a private address not allowlisted), and no card with linkCard false", async () => {
    const { did, id } = await connect("plain");
    const texts = [`broken ${site.url}/broken`, `private ${hiddenSite.url}/article`];
    const ids = [];
    for (const text of texts) ids.push((await api.create({ text, accountIds: [id] })).body.post.id);
    ids.push((await api.create({ text: `no card ${site.url}/article`, accountIds: [id], linkCard: false })).body.post.id);
    for (const postId of ids) {
      const post = await publishedPost(postId);
      const record = await pds.getRecord(did, rkeyOf(post.deliveries[0].remoteUri));
      expect(record!.value.embed).toBeUndefined();
      // Still a link: the facet is there.
      expect(JSON.stringify(record!.value.facets)).toContain("app.bsky.richtext.facet#link");
    }
  });

  it("quotes a post by its bsky.app URL (embed.record with the CID from its PDS), and with images as recordWithMedia", async () => {
    const { did, id } = await connect("quote");
    const webUrl = `https://bsky.app/profile/${author.handle}/post/${quoted.rkey}`;
    const plain = await api.create({ text: "so true", accountIds: [id], quote: webUrl });
    expect(plain.status).toBe(201);
    expect(plain.body.post.quote).toBe(webUrl);
    const withMedia = await api.create({
      text: "",
      accountIds: [id],
      quote: quoted.uri,
      images: [{ data: tinyPng().toString("base64"), mimeType: "image/png", alt: "a dot" }],
    });
    expect(withMedia.status).toBe(201);

    const a = await pds.getRecord(did, rkeyOf((await publishedPost(plain.body.post.id)).deliveries[0].remoteUri));
    expect(a!.value.embed).toEqual({ $type: "app.bsky.embed.record", record: { uri: quoted.uri, cid: quoted.cid } });
    const b = await pds.getRecord(did, rkeyOf((await publishedPost(withMedia.body.post.id)).deliveries[0].remoteUri));
    const embed = b!.value.embed as { $type: string; record: { record: unknown }; media: { $type: string; images: unknown[] } };
    expect(embed.$type).toBe("app.bsky.embed.recordWithMedia");
    expect(embed.record.record).toEqual({ uri: quoted.uri, cid: quoted.cid });
    expect(embed.media.$type).toBe("app.bsky.embed.images");
    expect(embed.media.images).toHaveLength(1);
  });

  it("writes self-labels, langs, a threadgate and a postgate under the post's own key", async () => {
    const { did, id } = await connect("gates");
    const created = await api.create({
      text: "gated",
      accountIds: [id],
      labels: ["nudity"],
      langs: ["en", "pt-BR"],
      replyControl: { allow: ["mention", "followers"] },
      disableQuotes: true,
    });
    expect(created.status).toBe(201);
    expect(created.body.post).toMatchObject({ labels: ["nudity"], replyControl: { allow: ["mention", "followers"] }, disableQuotes: true });
    const post = await publishedPost(created.body.post.id);
    const rkey = rkeyOf(post.deliveries[0].remoteUri);
    const record = await pds.getRecord(did, rkey);
    expect(record!.value.labels).toEqual({ $type: "com.atproto.label.defs#selfLabels", values: [{ val: "nudity" }] });
    expect(record!.value.langs).toEqual(["en", "pt-BR"]);
    const gates = await pds.listPosts(did, "app.bsky.feed.threadgate");
    expect(gates.map((g) => rkeyOf(g.uri))).toEqual([rkey]);
    expect(gates[0]!.value).toMatchObject({
      post: record!.uri,
      allow: [{ $type: "app.bsky.feed.threadgate#mentionRule" }, { $type: "app.bsky.feed.threadgate#followerRule" }],
    });
    const postgates = await pds.listPosts(did, "app.bsky.feed.postgate");
    expect(postgates.map((g) => rkeyOf(g.uri))).toEqual([rkey]);
    expect(postgates[0]!.value).toMatchObject({ post: record!.uri, embeddingRules: [{ $type: "app.bsky.feed.postgate#disableRule" }] });
  });

  it("writes the post and its gates exactly once when applyWrites' answer is lost and the next look-up fails (a forced retry)", async () => {
    const { did, id } = await connect("lost");
    // The pre-write look-up passes; applyWrites commits but its answer is lost; the look-up after it fails: the attempt fails unclear.
    proxy.inject("com.atproto.repo.getRecord", { kind: "pass" }, 1);
    proxy.inject("com.atproto.repo.applyWrites", { kind: "drop_after_commit" }, 1);
    proxy.inject("com.atproto.repo.getRecord", { kind: "status", status: 502 }, 1);
    const applied = proxy.applied;
    const created = await api.create({ text: "once, gated", accountIds: [id], replyControl: "nobody", disableQuotes: true });
    const post = await publishedPost(created.body.post.id);
    expect(proxy.applied - applied).toBe(3);
    // The second attempt read the key first and found the post: nothing was written twice, nothing retried again.
    expect(post.deliveries[0].attempts).toBe(2);
    const posts = await pds.listPosts(did);
    expect(posts.map((p) => p.value.text)).toEqual(["once, gated"]);
    const rkey = rkeyOf(posts[0]!.uri);
    const threadgates = await pds.listPosts(did, "app.bsky.feed.threadgate");
    expect(threadgates.map((g) => rkeyOf(g.uri))).toEqual([rkey]);
    expect(threadgates[0]!.value.allow).toEqual([]);
    expect((await pds.listPosts(did, "app.bsky.feed.postgate")).map((g) => rkeyOf(g.uri))).toEqual([rkey]);
  });

  it("refuses a quote that is not a post link, and a label that is not a self-label, changing nothing", async () => {
    const { id } = await connect("bad");
    const before = (await api.list()).body.posts.length;
    for (const body of [
      { text: "x", accountIds: [id], quote: "https://example.com/post/1" },
      { text: "x", accountIds: [id], labels: ["spam"] },
      { text: "x", accountIds: [id], replyControl: { allow: [] } },
      { text: "x", accountIds: [id], langs: ["en", "de", "fr", "es"] },
    ]) {
      const res = await api.create(body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBeTruthy();
    }
    expect((await api.list()).body.posts.length).toBe(before);
  });
});

describe("scheduled reposts", () => {
  const reposts = {
    create: (body: unknown) => call(repostsRoute.POST, { method: "POST", path: "/api/reposts", token, body }),
    list: () => call(repostsRoute.GET, { path: "/api/reposts", token }),
    get: (id: string) => call(repostItem.GET, { path: `/api/reposts/${id}`, token, params: { id } }),
    cancel: (id: string) => call(repostItem.DELETE, { method: "DELETE", path: `/api/reposts/${id}`, token, params: { id } }),
  };

  it("reposts once, even when the PDS's answer to the write is lost", async () => {
    const { did, id } = await connect("repost");
    proxy.inject("com.atproto.repo.putRecord", { kind: "drop_after_commit" }, 1);
    const created = await reposts.create({ accountIds: [id], subject: `https://bsky.app/profile/${author.handle}/post/${quoted.rkey}` });
    expect(created.status).toBe(201);
    expect(created.body.repost).toMatchObject({ status: "scheduled", deliveries: [{ accountId: id, status: "pending" }] });
    const repostId = created.body.repost.id as string;
    const done = await waitFor("the repost to publish", async () => {
      const r = (await reposts.get(repostId)).body.repost;
      return r.status === "published" ? r : undefined;
    }, 60_000);
    expect(done.deliveries[0].attempts).toBeGreaterThanOrEqual(2);
    const records = await pds.listPosts(did, "app.bsky.feed.repost");
    expect(records).toHaveLength(1);
    expect(records[0]!.value.subject).toEqual({ uri: quoted.uri, cid: quoted.cid });
    expect(records[0]!.uri).toBe(done.deliveries[0].remoteUri);
    // Listed with reposts, not with posts.
    expect((await reposts.list()).body.reposts.map((r: { id: string }) => r.id)).toContain(repostId);
    expect((await api.list()).body.posts.map((p: { id: string }) => p.id)).not.toContain(repostId);
  });

  it("cancels a scheduled repost; a post id is not a repost", async () => {
    const { did, id } = await connect("cancel");
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const created = await reposts.create({ accountIds: [id], subject: quoted.uri, scheduledAt: later });
    const cancelled = await reposts.cancel(created.body.repost.id);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.repost.status).toBe("cancelled");
    expect(await pds.listPosts(did, "app.bsky.feed.repost")).toEqual([]);
    const post = await api.create({ text: "a post", accountIds: [id], scheduledAt: later });
    expect((await reposts.get(post.body.post.id)).status).toBe(404);
    expect((await reposts.create({ accountIds: [id], subject: "not a link" })).status).toBe(400);
  });
});
