import type { Worker } from "bullmq";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { POST as uploadRoute } from "@/app/api/media/route";
import { connectAccount } from "@/app/lib/accounts/connectAccount";
import { blueskyOAuthSessions } from "@/app/lib/api/bluesky/oauth/sessions";
import { createBlueSkyService } from "@/app/lib/api/services/blueSkyService";
import { registerPlatformService } from "@/app/lib/api/services/apiManager";
import type { AppContext } from "@/app/lib/context";
import { getPostQueue, initPostQueue } from "@/app/lib/queues/postQueue";
import { getTokenRefreshQueue } from "@/app/lib/queues/tokenRefreshQueue";
import { createPostWorker } from "@/app/lib/queues/worker";
import { startFaultProxy, type FaultProxy } from "@/test/helpers/faultProxy";
import { tinyMp4, tinyVtt } from "@/test/helpers/mp4";
import { startTestPds, type TestPds } from "@/test/helpers/pds";
import { tinyPng } from "@/test/helpers/png";
import { postsApi, waitFor } from "@/test/helpers/postsApi";
import { createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";
import { startVideoServiceDouble, type VideoServiceDouble } from "@/test/helpers/videoService";

/**
 * Issue 16 item 7: video posts on Bluesky, end to end (API, real post worker, real local PDS
 * behind a fault proxy). Straight to the PDS, and through a loopback double of the video
 * service with its faults. Every outcome is read back from the PDS.
 */
let pds: TestPds;
let tc: TestContext;
let ctx: AppContext;
let proxy: FaultProxy;
let double: VideoServiceDouble;
let worker: Worker;
let token: string;
let userId: string;
let api: ReturnType<typeof postsApi>;
let seed = 0;

beforeAll(async () => {
  pds = await startTestPds();
  proxy = await startFaultProxy(pds.url);
  double = await startVideoServiceDouble(pds.url);
  const port = (u: string) => new URL(u).port;
  const allowlist = [pds.env.OUTBOUND_ALLOWLIST, `127.0.0.1:${port(proxy.url)}`, `127.0.0.1:${port(double.url)}`].join(",");
  tc = await createTestContext("postgres", { ...pds.env, OUTBOUND_ALLOWLIST: allowlist });
  ctx = tc.ctx;
  initPostQueue(ctx, { retryDelayMs: 200 });
  ({ token, user: { id: userId } } = await createTestUser(ctx));
  api = postsApi(token);
  worker = createPostWorker(ctx) as Worker;
  await worker.waitUntilReady();
}, 120_000);

afterAll(async () => {
  await worker?.close();
  if (ctx) await Promise.all([getPostQueue(ctx).close(), getTokenRefreshQueue(ctx).close()]);
  await proxy?.close();
  await double?.close();
  await tc?.close();
  await pds?.close();
});

/** The Bluesky service as the app builds it, with the video service setting under test (and quick polling). */
function useVideoService(videoServiceUrl: string) {
  registerPlatformService(
    ctx,
    createBlueSkyService({ ...ctx.config.atproto, videoServiceUrl, videoPollMs: 50, outbound: ctx.outbound, oauth: blueskyOAuthSessions(ctx) }),
  );
}

async function upload(bytes: Buffer) {
  const req = new Request("http://localhost/api/media", { method: "POST", headers: { authorization: `Bearer ${token}` }, body: new Uint8Array(bytes) });
  const res = await uploadRoute(req, { params: Promise.resolve({}) });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read JSON
  return { status: res.status, body: (await res.json()) as any };
}

async function connect(prefix: string): Promise<{ did: string; id: string }> {
  const acct = await pds.createAccount(prefix);
  const { account } = await connectAccount(ctx, userId, { platform: "bluesky", identifier: acct.handle, appPassword: acct.appPassword, service: proxy.url });
  return { did: acct.did, id: account.id };
}

/** A fresh mp4 and an English caption file, uploaded; the post body's `video`. */
async function uploadedVideo(alt = "A cat jumps onto a table") {
  const mp4 = await upload(tinyMp4({ width: 640, height: 360, seed: ++seed }));
  const vtt = await upload(tinyVtt(`caption ${seed}`));
  expect(mp4.status).toBe(201);
  expect(vtt.status).toBe(201);
  return { video: { mediaId: mp4.body.media.id as string, alt, captions: [{ lang: "en", mediaId: vtt.body.media.id as string }] }, bytes: mp4.body.media.size as number };
}

const settled = (id: string) =>
  waitFor(`post ${id} to settle`, async () => {
    const post = (await api.get(id)).body.post;
    return post.status === "published" || post.status === "failed" ? post : undefined;
  }, 60_000);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- records are read as JSON
const embedOf = (record: { value: Record<string, unknown> }) => record.value.embed as any;

describe("media uploads", () => {
  it("takes an mp4 (size read from its header) and a WebVTT file by their bytes", async () => {
    const mp4 = await upload(tinyMp4({ width: 1280, height: 720, seed: 999 }));
    expect(mp4.status).toBe(201);
    expect(mp4.body.media).toMatchObject({ mimeType: "video/mp4", width: 1280, height: 720, thumbnailUrl: null });
    const vtt = await upload(tinyVtt());
    expect(vtt.status).toBe(201);
    expect(vtt.body.media.mimeType).toBe("text/vtt");
    // A QuickTime file shares the ftyp box but is not mp4.
    const mov = tinyMp4({ seed: 998 });
    mov.write("qt  ", 8, "latin1");
    expect((await upload(mov)).status).toBe(415);
  });
});

describe("video straight to the PDS (BLUESKY_VIDEO_SERVICE_URL empty)", () => {
  beforeEach(() => useVideoService(""));

  it("publishes an app.bsky.embed.video with alt, captions and aspect ratio, exactly once", async () => {
    const { did, id } = await connect("vidpds");
    const { video, bytes } = await uploadedVideo();
    const created = await api.create({ text: "my first video", accountIds: [id], video });
    expect(created.status).toBe(201);
    const post = await settled(created.body.post.id);
    expect(post.status, JSON.stringify(post.deliveries)).toBe("published");

    const records = await pds.listPosts(did);
    expect(records).toHaveLength(1);
    const embed = embedOf(records[0]!);
    expect(embed.$type).toBe("app.bsky.embed.video");
    expect(embed.alt).toBe("A cat jumps onto a table");
    expect(embed.aspectRatio).toEqual({ width: 640, height: 360 });
    expect(embed.video).toMatchObject({ mimeType: "video/mp4", size: bytes });
    expect(embed.captions).toHaveLength(1);
    expect(embed.captions[0]).toMatchObject({ lang: "en", file: { mimeType: "text/vtt" } });
    // The blobs are really in the account's repo (the PDS checked type and size when the record was written).
    const blobs = (await (await fetch(`${pds.url}/xrpc/com.atproto.sync.listBlobs?did=${did}`)).json()) as { cids: string[] };
    expect(blobs.cids).toEqual(expect.arrayContaining([String(embed.video.ref), String(embed.captions[0].file.ref)]));
    expect(double.calls.uploads).toBe(0);
  });

  it("refuses a video beside images, saying so", async () => {
    const { id } = await connect("vidmix");
    const { video } = await uploadedVideo();
    const png = await upload(tinyPng(8, 8));
    const res = await api.create({ text: "both", accountIds: [id], video, images: [{ mediaId: png.body.media.id, alt: "a dot" }] });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("either one video or up to 4 images");
  });
});

describe("video through the video service (loopback double)", () => {
  beforeEach(() => {
    useVideoService(double.url);
    double.limits = { canUpload: true, remainingDailyVideos: 25, remainingDailyBytes: 10_000_000_000 };
    double.failJobs = undefined;
    double.reset = false;
  });

  it("checks the limits, uploads through the service and posts the blob it returns", async () => {
    const { did, id } = await connect("vidsvc");
    const { video, bytes } = await uploadedVideo();
    const before = { ...double.calls };
    const created = await api.create({ text: "via the video service", accountIds: [id], video });
    expect(created.status).toBe(201);
    expect(double.calls.limits).toBe(before.limits + 1);
    const post = await settled(created.body.post.id);
    expect(post.status, JSON.stringify(post.deliveries)).toBe("published");
    expect(double.calls.uploads).toBe(before.uploads + 1);
    // The tokens were asked for the right audiences and methods.
    expect(double.claims).toContainEqual({ iss: did, aud: double.did, lxm: "app.bsky.video.getUploadLimits" });
    expect(double.claims).toContainEqual({ iss: did, aud: "did:web:localhost", lxm: "com.atproto.repo.uploadBlob" });

    const records = await pds.listPosts(did);
    expect(records).toHaveLength(1);
    const embed = embedOf(records[0]!);
    expect(embed).toMatchObject({ $type: "app.bsky.embed.video", alt: "A cat jumps onto a table", video: { mimeType: "video/mp4", size: bytes } });
    expect(embed.captions[0]).toMatchObject({ lang: "en", file: { mimeType: "text/vtt" } });
  });

  it("refuses with 422 before scheduling when the account cannot upload videos today", async () => {
    const { did, id } = await connect("vidlimit");
    const { video } = await uploadedVideo();
    const countBefore = (await api.list()).body.posts.length;
    double.limits = { canUpload: false, error: "Limit reached", message: "You have reached your daily video upload limit" };
    const refused = await api.create({ text: "too many", accountIds: [id], video });
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toContain("You have reached your daily video upload limit");

    double.limits = { canUpload: true, remainingDailyVideos: 0, remainingDailyBytes: 1_000_000 };
    const none = await api.create({ text: "none left", accountIds: [id], video });
    expect(none.status).toBe(422);
    expect(none.body.error.message).toContain("0 more video uploads today");

    expect((await api.list()).body.posts.length).toBe(countBefore);
    expect(await pds.listPosts(did)).toHaveLength(0);
  });

  it("says so when the video service cannot be reached, and schedules nothing", async () => {
    const { id } = await connect("viddown");
    const { video } = await uploadedVideo();
    const countBefore = (await api.list()).body.posts.length;
    double.reset = true;
    const res = await api.create({ text: "service down", accountIds: [id], video });
    expect(res.status).toBe(502);
    expect(res.body.error.message).toContain("cannot be reached");
    expect((await api.list()).body.posts.length).toBe(countBefore);
  });

  it("fails the post with the service's reason when processing fails", async () => {
    const { did, id } = await connect("vidfail");
    const { video } = await uploadedVideo();
    const created = await api.create({ text: "will not process", accountIds: [id], video });
    expect(created.status).toBe(201);
    double.failJobs = "Video is too long";
    const post = await settled(created.body.post.id);
    expect(post.status).toBe("failed");
    expect(post.deliveries[0].lastError).toContain("could not process the video: Video is too long");
    expect(await pds.listPosts(did)).toHaveLength(0);
  });

  it("posts once when the answer to the record write is lost", async () => {
    const { did, id } = await connect("vidlost");
    const { video } = await uploadedVideo();
    proxy.inject("com.atproto.repo.putRecord", { kind: "drop_after_commit" }, 1);
    const applied = proxy.applied;
    const uploads = double.calls.uploads;
    const created = await api.create({ text: "lost answer", accountIds: [id], video });
    expect(created.status).toBe(201);
    const post = await settled(created.body.post.id);
    expect(post.status, JSON.stringify(post.deliveries)).toBe("published");
    expect(proxy.applied).toBe(applied + 1);
    expect(post.deliveries[0].attempts).toBeGreaterThan(1);
    // The retry found the post live by its record key, so it did not upload the video again.
    expect(double.calls.uploads).toBe(uploads + 1);
    const records = await pds.listPosts(did);
    expect(records).toHaveLength(1);
    expect(embedOf(records[0]!).$type).toBe("app.bsky.embed.video");
  });
});
