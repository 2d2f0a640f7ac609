import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as collection from "@/app/api/webhooks/route";
import { connectAccount } from "@/app/lib/accounts/connectAccount";
import { markAccountNeedsReauth } from "@/app/lib/accounts/service";
import type { AppContext } from "@/app/lib/context";
import { getPostQueue } from "@/app/lib/queues/postQueue";
import { startWorkers, type RunningWorkers } from "@/app/lib/queues/worker";
import { getWebhookQueue } from "@/app/lib/webhooks/queue";
import { verifyWebhookSignature } from "@/app/lib/webhooks/signature";
import { call } from "@/test/helpers/http";
import { startFaultProxy, type FaultProxy } from "@/test/helpers/faultProxy";
import { startTestPds, type TestAccount, type TestPds } from "@/test/helpers/pds";
import { postsApi, waitFor } from "@/test/helpers/postsApi";
import { createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";
import { startReceiver } from "./receiver";

/**
 * Events from real state changes: posts published to (and refused for) an account on the local
 * PDS, and the account needing and getting a reconnect — received, verified and read back.
 */
describe("webhook events from publishing on a real PDS", () => {
  let pds: TestPds;
  let tc: TestContext;
  let ctx: AppContext;
  let running: RunningWorkers;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let api: ReturnType<typeof postsApi>;
  let alice: TestAccount;
  let aliceId: string;
  let userId: string;
  let secret: string;
  let proxy: FaultProxy;

  beforeAll(async () => {
    pds = await startTestPds();
    receiver = await startReceiver(200);
    proxy = await startFaultProxy(pds.url);
    // The PDS's allowlist, plus the receiver's and the fault proxy's address and port (nothing else on loopback).
    const allowlist = `${pds.env.OUTBOUND_ALLOWLIST},${new URL(receiver.url).host},${new URL(proxy.url).host}`;
    const env = { ...pds.env, OUTBOUND_ALLOWLIST: allowlist, WEBHOOK_RELAY_INTERVAL_MS: "100", PUBLIC_URL: "https://postmore.example" };
    tc = await createTestContext("postgres", env);
    ctx = tc.ctx;
    const { user, token } = await createTestUser(ctx);
    userId = user.id;
    api = postsApi(token);
    alice = await pds.createAccount("alice");
    aliceId = (await connectAccount(ctx, userId, { platform: "bluesky", identifier: alice.handle, appPassword: alice.appPassword, service: pds.url })).account.id;
    const all = ["post.published", "post.failed", "post.partially_published", "account.needs_reconnect", "account.reconnected"];
    const created = await call(collection.POST, { method: "POST", token, body: { url: receiver.url, events: all } });
    expect(created.status).toBe(201);
    secret = created.body.webhook.secret;
    running = await startWorkers(ctx);
  }, 180_000);
  afterAll(async () => {
    await running?.close(5_000);
    await getWebhookQueue(ctx).close();
    await getPostQueue(ctx).close();
    await receiver?.close();
    await proxy?.close();
    await tc?.close();
    await pds?.close();
  });

  /** The first received event of `type` matching `match`, its signature checked. */
  const received = (type: string, match: (data: Record<string, unknown>) => boolean) =>
    waitFor(
      `a ${type} event`,
      async () => {
        for (const r of receiver.requests) {
          const body = JSON.parse(r.body);
          if (body.type !== type || !match(body.data)) continue;
          expect(r.headers["postmore-event"]).toBe(type);
          expect(verifyWebhookSignature(secret, r.headers["postmore-signature"] as string, r.body)).toBe(true);
          return body;
        }
        return undefined;
      },
      60_000,
    );
  const settled = (id: string) =>
    waitFor(`post ${id} to settle`, async () => {
      const { body } = await api.get(id);
      return ["published", "failed", "partially_failed"].includes(body.post.status) ? body.post : undefined;
    }, 60_000);

  it("sends post.published with the post, delivery and account ids, the platform and links", async () => {
    const created = await api.create({ text: `webhook ${Date.now()}`, accountIds: [aliceId] });
    expect(created.status).toBe(201);
    const post = await settled(created.body.post.id);
    expect(post.status).toBe("published");
    const delivery = post.deliveries[0];
    const event = await received("post.published", (d) => (d.post as { id: string }).id === post.id);
    const rkey = delivery.remoteUri.split("/").pop();
    expect(event.data).toEqual({
      post: { id: post.id },
      delivery: { id: delivery.id, status: "published", remoteUri: delivery.remoteUri, error: null, attempts: 1, publishedAt: expect.any(String) },
      account: { id: aliceId, platform: "bluesky", handle: alice.handle },
      links: {
        post: `https://postmore.example/api/posts/${post.id}`,
        app: "https://postmore.example/posts",
        remote: `https://bsky.app/profile/${alice.did}/post/${rkey}`,
      },
    });
    expect(receiver.requests.filter((r) => JSON.parse(r.body).data.post?.id === post.id)).toHaveLength(1);
  });

  it("sends account.needs_reconnect, then post.failed for a post it could not publish, then account.reconnected", async () => {
    // Scheduled while the account works; due after it needs reconnecting.
    const created = await api.create({ text: `refused ${Date.now()}`, accountIds: [aliceId], scheduledAt: new Date(Date.now() + 3000).toISOString() });
    expect(created.status).toBe(201);
    await markAccountNeedsReauth(ctx, aliceId, "the app password was revoked");
    const needs = await received("account.needs_reconnect", (d) => (d.account as { id: string }).id === aliceId);
    expect(needs.data.account).toEqual({ id: aliceId, platform: "bluesky", handle: alice.handle, status: "needs_reauth", error: "the app password was revoked" });
    expect(needs.data.links).toEqual({ account: `https://postmore.example/api/accounts/${aliceId}`, reconnect: "https://postmore.example/accounts" });

    const post = await settled(created.body.post.id);
    expect(post.status).toBe("failed");
    const failed = await received("post.failed", (d) => (d.post as { id: string }).id === post.id);
    expect(failed.data.delivery).toMatchObject({ id: post.deliveries[0].id, status: "failed", error: expect.stringContaining("reconnected") });
    expect(failed.data.account).toEqual({ id: aliceId, platform: "bluesky", handle: alice.handle });

    await connectAccount(ctx, userId, { platform: "bluesky", identifier: alice.handle, appPassword: alice.appPassword, service: pds.url });
    const back = await received("account.reconnected", (d) => (d.account as { id: string }).id === aliceId);
    expect(back.data.account).toMatchObject({ id: aliceId, status: "active" });
    // Reconnecting retries what failed for want of it: that post is published now, and says so.
    await received("post.published", (d) => (d.post as { id: string }).id === post.id);
  });

  it("sends post.partially_published when a thread stops part way", async () => {
    const bob = await pds.createAccount("bob");
    const bobId = (await connectAccount(ctx, userId, { platform: "bluesky", identifier: bob.handle, appPassword: bob.appPassword, service: proxy.url })).account.id;
    // The first segment goes through; every later write is refused (a permanent 400).
    proxy.inject("putRecord", { kind: "pass" }, 1);
    proxy.inject("putRecord", { kind: "status", status: 400, body: { error: "InvalidRequest", message: "refused by the test" } }, 1000);
    const created = await api.create({ text: "part one", accountIds: [bobId], thread: [{ text: "part two" }] });
    const post = await settled(created.body.post.id);
    proxy.clear();
    expect(post.deliveries[0].status).toBe("partially_published");
    const event = await received("post.partially_published", (d) => (d.post as { id: string }).id === post.id);
    expect(event.data.delivery).toMatchObject({ id: post.deliveries[0].id, status: "partially_published", remoteUri: post.deliveries[0].remoteUri });
    expect(event.data.account).toEqual({ id: bobId, platform: "bluesky", handle: bob.handle });
    expect(event.data.links.remote).toBe(`https://bsky.app/profile/${bob.did}/post/${post.deliveries[0].remoteUri.split("/").pop()}`);
  });
});
