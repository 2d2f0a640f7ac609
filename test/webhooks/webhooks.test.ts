import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as collection from "@/app/api/webhooks/route";
import * as deliveriesRoute from "@/app/api/webhooks/[id]/deliveries/route";
import * as resumeRoute from "@/app/api/webhooks/[id]/resume/route";
import * as testRoute from "@/app/api/webhooks/[id]/test/route";
import { markAccountNeedsReauth } from "@/app/lib/accounts/service";
import type { AppContext } from "@/app/lib/context";
import { updateAccountSession } from "@/app/lib/db/queries/accounts";
import { socialAccounts, webhookDeliveries, webhooks } from "@/app/lib/db/schema";
import { getPostQueue } from "@/app/lib/queues/postQueue";
import { startWorkers, type RunningWorkers } from "@/app/lib/queues/worker";
import { addWebhookJobs, getWebhookQueue } from "@/app/lib/webhooks/queue";
import { relayWebhookOutbox } from "@/app/lib/webhooks/relay";
import { verifyWebhookSignature } from "@/app/lib/webhooks/signature";
import { call } from "@/test/helpers/http";
import { waitFor } from "@/test/helpers/postsApi";
import { BACKENDS } from "@/test/helpers/queueBackends";
import { createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";
import { startReceiver } from "./receiver";

/**
 * Webhook delivery against a loopback receiver, on both queue backends, with the worker's real
 * webhook worker and outbox relay (startWorkers). Backoff is shortened through the config.
 */
const FAST = {
  WEBHOOK_ATTEMPTS: "3",
  WEBHOOK_RETRY_DELAY_MS: "100",
  WEBHOOK_PAUSE_AFTER_FAILED_EVENTS: "2",
  WEBHOOK_RELAY_INTERVAL_MS: "100",
};

describe.each(BACKENDS)("webhooks on %s", (kind) => {
  let tc: TestContext;
  let ctx: AppContext;
  let running: RunningWorkers;
  let token: string;
  let userId: string;

  beforeAll(async () => {
    tc = await createTestContext(kind, FAST);
    ctx = tc.ctx;
    ({ token, user: { id: userId } } = await createTestUser(ctx));
    running = await startWorkers(ctx);
  });
  afterAll(async () => {
    await running?.close(5_000);
    await getWebhookQueue(ctx).close();
    await getPostQueue(ctx).close();
    await tc?.close();
  });

  const create = (url: string, events: string[]) => call(collection.POST, { method: "POST", token, body: { url, events } });
  const log = async (id: string) => (await call(deliveriesRoute.GET, { token, params: { id } })).body.deliveries;
  const sendTest = (id: string) => call(testRoute.POST, { method: "POST", token, params: { id } });

  it("signs every event: the receiver verifies it with the secret shown once, and a wrong secret, a changed body or an old time fail", async () => {
    const receiver = await startReceiver(200);
    try {
      const created = await create(receiver.url, ["post.published"]);
      expect(created.status).toBe(201);
      const { id, secret } = created.body.webhook;
      expect(secret).toMatch(/^whsec_/);
      expect(created.body.webhook).toMatchObject({ url: receiver.url, events: ["post.published"], status: "active" });
      // Shown once: not in the list, and stored sealed.
      const listed = await call(collection.GET, { token });
      expect(JSON.stringify(listed.body)).not.toContain(secret);
      const [stored] = await ctx.database.db.select().from(webhooks).where(eq(webhooks.id, id));
      expect(stored?.secret).not.toContain(secret);

      const sent = await sendTest(id);
      expect(sent.status).toBe(202);
      const [req] = await waitFor("the test event", async () => (receiver.requests.length > 0 ? receiver.requests : undefined));
      const signature = req!.headers["postmore-signature"] as string;
      expect(verifyWebhookSignature(secret, signature, req!.body)).toBe(true);
      expect(verifyWebhookSignature(`${secret}x`, signature, req!.body)).toBe(false);
      expect(verifyWebhookSignature(secret, signature, req!.body.replace("test", "tost"))).toBe(false);
      expect(verifyWebhookSignature(secret, signature, req!.body, { now: Math.floor(Date.now() / 1000) + 600 })).toBe(false);
      expect(req!.headers["postmore-event"]).toBe("webhook.test");
      expect(req!.headers["postmore-delivery"]).toBe(sent.body.delivery.id);
      const body = JSON.parse(req!.body);
      expect(body).toMatchObject({ id: sent.body.delivery.eventId, type: "webhook.test", data: { webhook: { id } } });
      expect(new Date(body.createdAt).toISOString()).toBe(body.createdAt);

      const entries = await waitFor("the log to show the delivery", async () => {
        const l = await log(id);
        return l[0]?.status === "delivered" ? l : undefined;
      });
      expect(entries[0]).toMatchObject({ id: sent.body.delivery.id, type: "webhook.test", attempts: 1, lastStatusCode: 200 });
      expect(entries[0].log).toEqual([expect.objectContaining({ attempt: 1, statusCode: 200, error: null })]);
    } finally {
      await receiver.close();
    }
  });

  it("retries a receiver answering 500 with backoff, every time with the same PostMore-Delivery id, and logs each try", async () => {
    const receiver = await startReceiver(500);
    try {
      const { id, secret } = (await create(receiver.url, ["post.failed"])).body.webhook;
      const sent = await sendTest(id);
      const entries = await waitFor(
        "the delivery to fail for good",
        async () => {
          const l = await log(id);
          return l[0]?.status === "failed" ? l : undefined;
        },
        60_000,
      );
      expect(receiver.requests).toHaveLength(3);
      for (const r of receiver.requests) {
        expect(r.headers["postmore-delivery"]).toBe(sent.body.delivery.id);
        expect(verifyWebhookSignature(secret, r.headers["postmore-signature"] as string, r.body)).toBe(true);
      }
      expect(new Set(receiver.requests.map((r) => r.body)).size).toBe(1);
      expect(entries[0].log.map((t: { attempt: number; statusCode: number }) => [t.attempt, t.statusCode])).toEqual([
        [1, 500],
        [2, 500],
        [3, 500],
      ]);
      expect(entries[0].lastError).toBe("HTTP 500");
    } finally {
      await receiver.close();
    }
  });

  it("pauses an endpoint after 2 events in a row failed every attempt, holds later events, and sends them on resume", async () => {
    const receiver = await startReceiver(503);
    try {
      const { id } = (await create(receiver.url, ["account.needs_reconnect", "account.reconnected"])).body.webhook;
      const [account] = await ctx.database.db
        .insert(socialAccounts)
        .values({ userId, platform: "bluesky", remoteId: `did:plc:${id.slice(0, 8)}`, handle: "pause.test", instanceUrl: "http://127.0.0.1:9", credentials: "" })
        .returning();
      const accountId = account!.id;
      const settledCount = async (status: string, n: number) =>
        waitFor(`${n} deliveries ${status}`, async () => ((await log(id)) as Array<{ status: string }>).filter((d) => d.status === status).length >= n || undefined, 60_000);

      await markAccountNeedsReauth(ctx, accountId, "the platform refused the app password");
      await settledCount("failed", 1);
      await updateAccountSession(ctx.database.db, accountId, { handle: "pause.test", instanceUrl: "http://127.0.0.1:9", credentials: "", accessExpiresAt: new Date() });
      await settledCount("failed", 2);
      const paused = (await call(collection.GET, { token })).body.webhooks.find((w: { id: string }) => w.id === id);
      expect(paused).toMatchObject({ status: "paused", consecutiveFailures: 2, pausedReason: expect.stringContaining("2 events") });
      expect(receiver.requests).toHaveLength(6);

      // Paused: the next event is held, not sent.
      await markAccountNeedsReauth(ctx, accountId, "refused again");
      await settledCount("held", 1);
      expect(receiver.requests).toHaveLength(6);

      receiver.setStatus(204);
      const resumed = await call(resumeRoute.POST, { method: "POST", token, params: { id } });
      expect(resumed.body.webhook).toMatchObject({ status: "active", consecutiveFailures: 0, pausedAt: null });
      await settledCount("delivered", 1);
      const last = receiver.requests.at(-1)!;
      expect(last.headers["postmore-event"]).toBe("account.needs_reconnect");
      expect(JSON.parse(last.body).data.account).toMatchObject({ id: accountId, platform: "bluesky", status: "needs_reauth", error: "refused again" });
    } finally {
      await receiver.close();
    }
  });
});

describe("webhook URLs to private addresses", () => {
  let tc: TestContext;
  let token: string;
  beforeAll(async () => {
    // No OUTBOUND_ALLOWLIST: loopback and private destinations are refused.
    tc = await createTestContext("postgres", { OUTBOUND_ALLOWLIST: "" });
    ({ token } = await createTestUser(tc.ctx));
  });
  afterAll(async () => {
    await tc?.close();
  });

  it.each([
    ["http://127.0.0.1:8080/hook", "loopback"],
    ["http://localhost/hook", "loopback"],
    ["http://10.1.2.3/hook", "private"],
    ["http://169.254.169.254/latest/meta-data", "linkLocal"],
    ["http://[::1]/hook", "loopback"],
  ])("refuses %s with a clear 422 and stores nothing", async (url, range) => {
    const res = await call(collection.POST, { method: "POST", token, body: { url, events: ["post.published"] } });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("unprocessable");
    expect(res.body.error.message).toContain(`a ${range} address`);
    expect(res.body.error.message).toContain("OUTBOUND_ALLOWLIST");
    expect((await call(collection.GET, { token })).body.webhooks).toEqual([]);
  });

  it("refuses an unknown event type and a non-http URL with 400", async () => {
    const bad = await call(collection.POST, { method: "POST", token, body: { url: "https://example.com/h", events: ["post.deleted"] } });
    expect(bad.status).toBe(400);
    const ftp = await call(collection.POST, { method: "POST", token, body: { url: "ftp://example.com/h", events: ["post.failed"] } });
    expect(ftp.status).toBe(400);
  });
});

describe("the webhook outbox across a crash", () => {
  let tc: TestContext;
  let ctx: AppContext;
  let running: RunningWorkers | undefined;
  let token: string;
  let userId: string;
  beforeAll(async () => {
    tc = await createTestContext("redis", FAST);
    ctx = tc.ctx;
    ({ token, user: { id: userId } } = await createTestUser(ctx));
  });
  afterAll(async () => {
    await running?.close(5_000);
    await getWebhookQueue(ctx).close();
    await getPostQueue(ctx).close();
    await tc?.close();
  });

  it("records an event only if its change commits, and sends one recorded while no worker ran exactly once when one starts", async () => {
    const receiver = await startReceiver(200);
    try {
      const { id } = (await call(collection.POST, { method: "POST", token, body: { url: receiver.url, events: ["account.needs_reconnect"] } })).body.webhook;
      const db = ctx.database.db;
      const [account] = await db
        .insert(socialAccounts)
        .values({ userId, platform: "bluesky", remoteId: "did:plc:crash", handle: "crash.test", instanceUrl: "http://127.0.0.1:9", credentials: "" })
        .returning();
      // A change that rolls back leaves no event behind.
      await expect(
        db.transaction(async (tx) => {
          await tx.update(socialAccounts).set({ status: "needs_reauth" }).where(eq(socialAccounts.id, account!.id));
          throw new Error("rolled back");
        }),
      ).rejects.toThrow("rolled back");
      expect(await db.select().from(webhookDeliveries)).toHaveLength(0);

      // The change commits while no worker runs (as if the process died right after it): the event waits in the outbox.
      await markAccountNeedsReauth(ctx, account!.id, "refused");
      const [waiting] = await db.select().from(webhookDeliveries);
      expect(waiting).toMatchObject({ webhookId: id, status: "pending", enqueuedAt: null });

      // Two relays at once (two worker processes starting) and a stray duplicate job: still one request.
      await Promise.all([relayWebhookOutbox(ctx), relayWebhookOutbox(ctx), addWebhookJobs(ctx, [waiting!.id])]);
      running = await startWorkers(ctx);
      await waitFor("the held-over event to be delivered", async () => {
        const [row] = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, waiting!.id));
        return row?.status === "delivered" || undefined;
      });
      await relayWebhookOutbox(ctx);
      await addWebhookJobs(ctx, [waiting!.id]);
      // Those late duplicates run and find the delivery settled.
      await waitFor("the queue to drain", async () => {
        const counts = await getWebhookQueue(ctx).getJobCounts("waiting", "active", "delayed", "prioritized");
        return Object.values(counts).every((n) => n === 0) || undefined;
      });
      expect(receiver.requests.filter((r) => r.headers["postmore-event"] === "account.needs_reconnect")).toHaveLength(1);
      expect(receiver.requests[0]!.headers["postmore-delivery"]).toBe(waiting!.id);
    } finally {
      await receiver.close();
    }
  });
});

