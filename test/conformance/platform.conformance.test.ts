import type { Worker } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getPlatformService } from "@/app/lib/api/services/apiManager";
import { getPostQueue, initPostQueue } from "@/app/lib/queues/postQueue";
import { createPostWorker } from "@/app/lib/queues/worker";
import * as accountRoute from "@/app/api/accounts/[id]/route";
import { startTestPds, type TestPds } from "@/test/helpers/pds";
import { tinyPng } from "@/test/helpers/png";
import { postsApi, waitFor } from "@/test/helpers/postsApi";
import { createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";
import { startWorkerProcess, type WorkerProcess } from "@/test/helpers/workerProcess";
import { MastodonDouble } from "@/test/mastodon/mastodonDouble";
import { blueskyHarness, mastodonHarness, REFUSAL, type Harness, type LiveItem } from "./harnesses";

/**
 * One suite for every platform: what a person notices (the post is there once, a thread is a
 * reply chain, images keep their alt text, failures end as the platform says) checked on the
 * platform itself — Bluesky on the real local PDS, Mastodon on the schema-checked double.
 * Where platforms differ by design (tokens that expire vs. tokens a person must replace),
 * the test reads the platform's descriptor instead of naming the platform.
 */

let pds: TestPds;
beforeAll(async () => {
  pds = await startTestPds();
}, 120_000);
afterAll(async () => {
  await pds?.close();
});

type Setup = (tc: TestContext, userId: string, token: string) => Promise<Harness>;

const PLATFORMS: Array<[string, Setup]> = [
  ["bluesky", async (tc, userId) => blueskyHarness(tc.ctx, userId, pds, await pds.createAccount("conf"))],
  ["mastodon", async (tc, _userId, token) => mastodonHarness(tc.ctx, token, await new MastodonDouble({ mediaProcessingPolls: 2 }).start())],
];

describe.each(PLATFORMS)("platform conformance: %s", (_name, setup) => {
  let tc: TestContext;
  let h: Harness;
  let token: string;
  let api: ReturnType<typeof postsApi>;
  let worker: Worker | undefined;
  let n = 0;

  beforeAll(async () => {
    tc = await createTestContext("postgres", { ATPROTO_PLC_URL: pds.plcUrl, ATPROTO_HANDLE_RESOLVER_URL: pds.url, MASTODON_MEDIA_POLL_MS: "50" });
    initPostQueue(tc.ctx, { retryDelayMs: 200 });
    const user = await createTestUser(tc.ctx);
    token = user.token;
    api = postsApi(token);
    h = await setup(tc, user.user.id, token);
    worker = createPostWorker(tc.ctx) as Worker;
    await worker.waitUntilReady();
  });
  afterAll(async () => {
    await worker?.close();
    await getPostQueue(tc.ctx).close();
    await h?.close();
    await tc?.close();
  });

  const unique = (what: string) => `${what} #${++n} ${Date.now().toString(36)}`;
  const settled = (id: string) =>
    waitFor(
      `post ${id} to settle`,
      async () => {
        const { body } = await api.get(id);
        return ["published", "failed", "partially_failed", "cancelled"].includes(body.post.status) ? body.post : undefined;
      },
      60_000,
    );
  const liveWith = async (text: string): Promise<LiveItem[]> => (await h.live()).filter((i) => i.text === text);
  const schedule = async (body: Record<string, unknown>) => {
    const created = await api.create({ accountIds: [h.accountId], ...body });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.post.id as string;
  };
  const accountStatus = async () => {
    const res = await accountRoute.GET(
      new Request(`http://localhost/api/accounts/${h.accountId}`, { headers: { authorization: `Bearer ${token}` } }),
      { params: Promise.resolve({ id: h.accountId }) },
    );
    return ((await res.json()) as { account: { status: string } }).account.status;
  };

  it("publishes a post once, with a View link on the account's own host", async () => {
    const text = unique("hello from the conformance suite");
    const post = await settled(await schedule({ text }));
    expect(post.status).toBe("published");
    const live = await liveWith(text);
    expect(live).toHaveLength(1);
    const segment = post.deliveries[0].segments[0];
    expect(segment.status).toBe("published");
    // The link names the item itself, on a host that can show it (the instance, or the PDS itself).
    expect(segment.url).toEqual(expect.any(String));
    expect(segment.url).toContain(live[0]!.id.split("/").at(-1));
    expect(new URL(segment.url).hostname).toBe("127.0.0.1");
  });

  it("publishes a thread as a reply chain, with each image's alt text", async () => {
    const png = tinyPng(4, 4).toString("base64");
    const texts = [unique("thread one"), unique("thread two"), unique("thread three")];
    const post = await settled(
      await schedule({
        text: texts[0],
        images: [{ data: png, mimeType: "image/png", alt: "a small pink square" }],
        thread: [{ text: texts[1] }, { text: texts[2], images: [{ data: png, mimeType: "image/png", alt: "another square" }] }],
      }),
    );
    expect(post.status).toBe("published");
    const items = await Promise.all(texts.map(async (t) => (await liveWith(t))[0]));
    expect(items.every(Boolean)).toBe(true);
    expect(items.map((i) => i!.replyTo)).toEqual([null, items[0]!.id, items[1]!.id]);
    expect(items.map((i) => i!.alts)).toEqual([["a small pink square"], [], ["another square"]]);
    expect(post.deliveries[0].segments.map((s: { status: string }) => s.status)).toEqual(["published", "published", "published"]);
  });

  it("retries a write whose answer was lost without posting twice", async () => {
    const text = unique("the answer to this one is lost");
    h.failWrites("lost");
    const post = await settled(await schedule({ text }));
    expect(post.status).toBe("published");
    expect(post.deliveries[0].attempts).toBeGreaterThanOrEqual(2);
    expect(await liveWith(text)).toHaveLength(1);
  });

  it("retries after a server error (5xx) and publishes once", async () => {
    const text = unique("the server fails once");
    h.failWrites(500);
    const post = await settled(await schedule({ text }));
    expect(post.status).toBe("published");
    expect(post.deliveries[0].history.map((a: { outcome: string }) => a.outcome)).toContain("retry");
    expect(await liveWith(text)).toHaveLength(1);
  });

  it("waits out a rate limit (429) without spending an attempt, then publishes once", async () => {
    const text = unique("rate limited once");
    h.failWrites(429);
    const post = await settled(await schedule({ text }));
    expect(post.status).toBe("published");
    expect(post.deliveries[0].history.map((a: { outcome: string }) => a.outcome)).toContain("rate_limited");
    expect(await liveWith(text)).toHaveLength(1);
  });

  it("fails at once with the platform's own message when it refuses the post (422/400)", async () => {
    const text = unique("refused by the platform");
    h.failWrites(422);
    const post = await settled(await schedule({ text }));
    expect(post.status).toBe("failed");
    expect(post.deliveries[0].attempts).toBe(1);
    expect(post.deliveries[0].lastError).toContain(REFUSAL);
    expect(await liveWith(text)).toHaveLength(0);
  });

  it("after a refused token (401): refreshes, or asks for a reconnect and then publishes once", async () => {
    const text = unique("the token is refused");
    h.failWrites(401);
    const postId = await schedule({ text });
    if (getPlatformService(tc.ctx, h.platform).descriptor.auth.tokensExpire) {
      // Tokens that expire are refreshed under the account lock and the write is tried again.
      const post = await settled(postId);
      expect(post.status, JSON.stringify(post.deliveries[0].history)).toBe("published");
    } else {
      // A token that never expires was revoked: only the person can fix it.
      const failed = await settled(postId);
      expect(failed.status).toBe("failed");
      expect(await accountStatus()).toBe("needs_reauth");
      expect(await liveWith(text)).toHaveLength(0);
      expect(await h.reconnect()).toBe(h.accountId);
      expect(await accountStatus()).toBe("active");
      // Reconnecting retries what failed for want of it.
      await waitFor("the post to be published after the reconnect", async () => ((await api.get(postId)).body.post.status === "published" ? true : undefined), 60_000);
    }
    expect(await liveWith(text)).toHaveLength(1);
  });

  it("reconnecting the same account keeps it (same id, active) and it keeps posting", async () => {
    expect(await h.reconnect()).toBe(h.accountId);
    expect(await accountStatus()).toBe("active");
    const text = unique("after a reconnect");
    expect((await settled(await schedule({ text }))).status).toBe("published");
    expect(await liveWith(text)).toHaveLength(1);
  });

  // Last: it replaces the in-process worker with worker processes.
  it("a worker SIGKILLed mid-burst: every post of the burst is published exactly once", async () => {
    await worker?.close();
    worker = undefined;
    const env = { DATABASE_URL: tc.databaseUrl, POSTMORE_SECRET: tc.secret, QUEUE_BACKEND: "postgres", ...h.workerEnv };
    const texts = Array.from({ length: 6 }, (_, i) => unique(`burst ${i}`));
    // One write never gets its answer: that job is mid-publish when the worker dies.
    h.holdWrites(1);
    const first = startWorkerProcess(env);
    const second: WorkerProcess[] = [];
    try {
      const ids: string[] = [];
      for (const text of texts) ids.push(await schedule({ text }));
      await waitFor("a post of the burst to reach the platform", async () => {
        const live = await h.live();
        return texts.some((t) => live.some((i) => i.text === t)) ? true : undefined;
      }, 60_000);
      first.kill("SIGKILL");
      expect(await first.exited).toBeNull();
      second.push(startWorkerProcess(env));
      await waitFor("every post of the burst to be published", async () => {
        const statuses = await Promise.all(ids.map(async (id) => (await api.get(id)).body.post.status as string));
        return statuses.every((s) => s === "published") ? true : undefined;
      }, 90_000);
      for (const text of texts) expect(await liveWith(text), text).toHaveLength(1);
    } finally {
      first.kill("SIGKILL");
      for (const w of second) w.kill("SIGKILL");
      await Promise.all([first.exited, ...second.map((w) => w.exited)]);
    }
  }, 150_000);
});
