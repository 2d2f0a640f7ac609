import { randomUUID } from "node:crypto";
import type { Worker } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as queuesRoute } from "@/app/api/admin/queues/route";
import { POST as refreshRoute } from "@/app/api/admin/refresh-tokens/route";
import { GET as accountRoute } from "@/app/api/accounts/[id]/route";
import { connectAccount } from "@/app/lib/accounts/connectAccount";
import { getPostQueue } from "@/app/lib/queues/postQueue";
import { getTokenRefreshQueue, scheduleRegularTokenRefreshes } from "@/app/lib/queues/tokenRefreshQueue";
import { createTokenRefreshWorker } from "@/app/lib/queues/worker";
import { startTestPds, type TestPds } from "@/test/helpers/pds";
import { BACKENDS } from "@/test/helpers/queueBackends";
import { createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";

const noParams = { params: Promise.resolve({}) };

function post(body: string | undefined, token?: string) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  return refreshRoute(new Request("http://x/api/admin/refresh-tokens", { method: "POST", headers, body }), noParams);
}

function getQueues(token?: string) {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  return queuesRoute(new Request("http://x/api/admin/queues", { headers }), noParams);
}

let pds: TestPds;
beforeAll(async () => {
  pds = await startTestPds();
});
afterAll(async () => {
  await pds?.close();
});

describe.each(BACKENDS)("admin token refresh and queue endpoints (queue backend %s)", (kind) => {
  let t: TestContext;
  let admin: { user: { id: string }; token: string };
  let user: { user: { id: string }; token: string };

  beforeAll(async () => {
    t = await createTestContext(kind, { ATPROTO_PLC_URL: pds.plcUrl, ATPROTO_HANDLE_RESOLVER_URL: pds.url });
    admin = await createTestUser(t.ctx, "admin");
    user = await createTestUser(t.ctx, "user");
  });
  afterAll(async () => {
    await getTokenRefreshQueue(t.ctx).close();
    await getPostQueue(t.ctx).close();
    await t?.close();
  });

  it("answers 401 without credentials and 403 for a non-admin", async () => {
    expect((await post("{}")).status).toBe(401);
    expect((await post("{}", "not-a-token")).status).toBe(401);
    const forbidden = await post("{}", user.token);
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ error: { code: "forbidden" } });
    expect((await getQueues()).status).toBe(401);
    expect((await getQueues(user.token)).status).toBe(403);
  });

  it("refuses malformed bodies with 400 and unknown accounts with 404", async () => {
    for (const body of ["{", "[1]", '"x"', '{"accountId":"nope"}', '{"accountId":42}', '{"all":true}', '{"accountId":null}']) {
      const res = await post(body, admin.token);
      expect(res.status, body).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toMatch(/bad_request|validation_failed/);
    }
    const unknown = await post(JSON.stringify({ accountId: randomUUID() }), admin.token);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: "not_found" } });
  });

  it("queues a refresh of everything (202 with a job id; asking again returns the same job)", async () => {
    const first = await post("{}", admin.token);
    expect(first.status).toBe(202);
    const { jobId } = (await first.json()) as { jobId: string };
    expect(jobId).toMatch(/^[^:]+$/);
    const again = await post("", admin.token);
    expect(again.status).toBe(202);
    expect(((await again.json()) as { jobId: string }).jobId).toBe(jobId);
    await getTokenRefreshQueue(t.ctx).drain(true);
  });

  it("shows per-queue counts and the weekly scheduler with its next run", async () => {
    await scheduleRegularTokenRefreshes(t.ctx);
    const res = await getQueues(admin.token);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      queues: Record<string, Record<string, number>>;
      schedulers: Array<{ id: string; pattern: string; next: string }>;
    };
    for (const name of ["posts", "token-refresh"]) {
      expect(Object.keys(body.queues[name]!).sort()).toEqual(["active", "completed", "delayed", "failed", "waiting"]);
    }
    expect(body.queues["token-refresh"]!.delayed).toBe(1);
    const weekly = body.schedulers.find((s) => s.id === "weekly-token-refresh");
    expect(weekly).toMatchObject({ pattern: "0 0 * * 0", tz: "UTC", limit: 52 });
    expect(new Date(weekly!.next).getUTCDay()).toBe(0);
    expect(Date.parse(weekly!.next)).toBeGreaterThan(Date.now());
  });

  it("lets an admin refresh one account over HTTP and see lastRefreshedAt move", async () => {
    const acct = await pds.createAccount("adm");
    const { account } = await connectAccount(t.ctx, user.user.id, {
      platform: "bluesky",
      identifier: acct.handle,
      appPassword: acct.appPassword,
      service: pds.url,
    });
    const readAccount = async () => {
      const res = await accountRoute(
        new Request(`http://x/api/accounts/${account.id}`, { headers: { authorization: `Bearer ${user.token}` } }),
        { params: Promise.resolve({ id: account.id }) },
      );
      return ((await res.json()) as { account: { lastRefreshedAt: string; status: string } }).account;
    };
    const before = await readAccount();
    const worker: Worker = createTokenRefreshWorker(t.ctx);
    try {
      const res = await post(JSON.stringify({ accountId: account.id }), admin.token);
      expect(res.status).toBe(202);
      const deadline = Date.now() + 20_000;
      let now = before;
      while (now.lastRefreshedAt === before.lastRefreshedAt && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        now = await readAccount();
      }
      expect(Date.parse(now.lastRefreshedAt)).toBeGreaterThan(Date.parse(before.lastRefreshedAt));
      expect(now.status).toBe("active");
    } finally {
      await worker.close();
    }
  });
});
