import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { revokeApiToken } from "@/app/lib/auth/apiTokens";
import { signIn } from "@/app/lib/auth/sessions";
import { createUser } from "@/app/lib/auth/users";
import { call } from "@/test/helpers/http";
import { createMemoryPlatform, insertMemoryAccount } from "@/test/helpers/memoryPlatform";
import { tinyPng } from "@/test/helpers/png";
import { createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";
import { discoverRoutes, loadRoute } from "./routes";

/**
 * The authorization matrix: every route × {anonymous, owner A, other user B, admin}.
 * Expected status per caller; A owns the account, post and delivery addressed by :id.
 * Nobody but A reaches A's things (admins included: admin powers live under /api/admin).
 */
type Caller = "anon" | "A" | "B" | "admin";
/** R: a read-only token of A (branch idem, issue 17): A's answer on GET, 403 insufficient_scope on every other method. */
interface Row {
  method: string;
  pattern: string;
  id?: "account" | "post" | "delivery" | "token" | "webhook" | "repost" | "media";
  body?: unknown;
  /** Path parameters besides the id. */
  params?: Record<string, string>;
  expect: Record<Caller, number>;
  /** R's status when it is not the rule above (routes that authenticate nobody). */
  read?: number;
}

const own = { anon: 401, A: 200, B: 404, admin: 404 };
const anyUser = { anon: 401, A: 200, B: 200, admin: 200 };
const adminOnly = (ok: number) => ({ anon: 401, A: 403, B: 403, admin: ok });

const MATRIX: Row[] = [
  { method: "GET", pattern: "/api/me", expect: anyUser },
  { method: "GET", pattern: "/api/accounts", expect: anyUser },
  { method: "GET", pattern: "/api/accounts/[id]", id: "account", expect: own },
  { method: "GET", pattern: "/api/posts", expect: anyUser },
  { method: "GET", pattern: "/api/posts/[id]", id: "post", expect: own },
  { method: "GET", pattern: "/api/posts/export", expect: anyUser },
  { method: "GET", pattern: "/api/posts/[id]/images/[segment]/[n]", id: "post", params: { segment: "0", n: "0" }, expect: own },
  { method: "PATCH", pattern: "/api/posts/[id]", id: "post", body: { text: "edited by someone" }, expect: own },
  { method: "POST", pattern: "/api/deliveries/[id]/retry", id: "delivery", expect: { anon: 401, A: 409, B: 404, admin: 404 } },
  { method: "GET", pattern: "/api/admin/queues", expect: adminOnly(200) },
  { method: "GET", pattern: "/api/admin/accounts", expect: adminOnly(200) },
  { method: "GET", pattern: "/api/admin/jobs", expect: adminOnly(200) },
  { method: "GET", pattern: "/api/admin/workers", expect: adminOnly(200) },
  { method: "GET", pattern: "/api/admin/activity", expect: adminOnly(200) },
  { method: "GET", pattern: "/api/admin/backups", expect: adminOnly(200) },
  { method: "POST", pattern: "/api/admin/jobs/retry", body: { queue: "posts", jobId: "no-such-job" }, expect: adminOnly(404) },
  { method: "POST", pattern: "/api/admin/refresh-tokens", body: {}, expect: adminOnly(202) },
  { method: "GET", pattern: "/api/metrics", expect: adminOnly(200) },
  { method: "GET", pattern: "/api/health", expect: { anon: 200, A: 200, B: 200, admin: 200 } },
  { method: "GET", pattern: "/api/openapi.json", expect: { anon: 200, A: 200, B: 200, admin: 200 } },
  { method: "POST", pattern: "/api/auth/signout", expect: { anon: 200, A: 200, B: 200, admin: 200 }, read: 200 },
  { method: "POST", pattern: "/api/auth/signout-everywhere", expect: anyUser },
  // A wrong current password: refused for everyone, nothing changes.
  { method: "POST", pattern: "/api/auth/password", body: { currentPassword: "not it", newPassword: "a long new password" }, expect: { anon: 401, A: 403, B: 403, admin: 403 } },
  { method: "GET", pattern: "/api/tokens", expect: anyUser },
  { method: "POST", pattern: "/api/tokens", body: { name: "matrix" }, expect: { anon: 401, A: 201, B: 201, admin: 201 } },
  // Branch idem: bulk import (an empty file: refused for everyone, nothing stored).
  { method: "POST", pattern: "/api/posts/import", body: [], expect: { anon: 401, A: 422, B: 422, admin: 422 } },
  // bskyrich: scheduled reposts (B and admin name A's account: unknown to them).
  { method: "GET", pattern: "/api/reposts", expect: anyUser },
  { method: "GET", pattern: "/api/reposts/[id]", id: "repost", expect: own },
  { method: "POST", pattern: "/api/reposts", body: { accountIds: ["{account}"], subject: "at://did:plc:aaaaaaaaaaaaaaaaaaaaaaaa/app.bsky.feed.post/3jzfcijpj2z2a", scheduledAt: "2031-01-01T00:00:00Z" }, expect: { anon: 401, A: 201, B: 400, admin: 400 } },
  // branch media: A's upload is A's alone.
  { method: "GET", pattern: "/api/media/[id]", id: "media", expect: own },
  { method: "GET", pattern: "/api/media/[id]/thumbnail", id: "media", expect: own },
  // branch oauth: Bluesky OAuth. A handle that cannot resolve: refused (422) for every user;
  // the callback is public (the browser arrives from another site) and always ends on /accounts.
  { method: "POST", pattern: "/api/accounts/bluesky/authorize", body: { handle: "nobody" }, expect: { anon: 401, A: 422, B: 422, admin: 422 } },
  { method: "GET", pattern: "/api/accounts/bluesky/callback", expect: { anon: 303, A: 303, B: 303, admin: 303 } },
  ...["GET", "POST", "PUT", "PATCH", "DELETE"].map((method) => ({
    method,
    pattern: "/api/[...path]",
    expect: { anon: 404, A: 404, B: 404, admin: 404 },
    read: 404,
  })),
  // branch webhooks: A owns the webhook addressed by :id (its URL is on the test allowlist).
  { method: "GET", pattern: "/api/webhooks", expect: anyUser },
  { method: "POST", pattern: "/api/webhooks", body: { url: "http://127.0.0.1:9/hook", events: ["post.failed"] }, expect: { anon: 401, A: 201, B: 201, admin: 201 } },
  { method: "GET", pattern: "/api/webhooks/[id]/deliveries", id: "webhook", expect: own },
  { method: "POST", pattern: "/api/webhooks/[id]/test", id: "webhook", expect: { anon: 401, A: 202, B: 404, admin: 404 } },
  { method: "POST", pattern: "/api/webhooks/[id]/resume", id: "webhook", expect: own },
  // branch mastodon
  { method: "GET", pattern: "/api/platforms", expect: anyUser },
  { method: "POST", pattern: "/api/accounts/mastodon/authorize", body: { instance: "http://not a host" }, expect: { anon: 401, A: 400, B: 400, admin: 400 } },
  {
    method: "GET",
    pattern: "/api/accounts/mastodon/callback",
    expect: { anon: 401, A: 400, B: 400, admin: 400 },
  },
  // Destructive rows last: B and admin first (must fail), then A.
  { method: "DELETE", pattern: "/api/posts/[id]", id: "post", expect: own },
  { method: "DELETE", pattern: "/api/reposts/[id]", id: "repost", expect: own },
  { method: "DELETE", pattern: "/api/accounts/[id]", id: "account", expect: { ...own, A: 204 } },
  { method: "DELETE", pattern: "/api/tokens/[id]", id: "token", expect: { ...own, A: 204 } },
  { method: "DELETE", pattern: "/api/webhooks/[id]", id: "webhook", expect: { ...own, A: 204 } },
];
// Exercised by their own suites (they need a PDS or a password): POST /api/accounts, POST /api/posts, POST /api/auth/signin.
// POST /api/mcp: test/automation/mcp.test.ts ("refuses a request without a valid API token on both transports").
// POST /api/media (a raw image body): app/lib/media/__tests__/media.test.ts ("refuses an anonymous upload", and every user may upload).
const COVERED_ELSEWHERE = new Set(["POST /api/accounts", "POST /api/posts", "POST /api/auth/signin", "POST /api/mcp", "POST /api/media"]);

describe("authorization matrix", () => {
  let t: TestContext;
  const tokens: Partial<Record<Caller | "R", string>> = {};
  const ids = { account: "", post: "", delivery: "", token: "", webhook: "", repost: "", media: "" };
  let userA = "";
  let restorePlatform: () => void;

  beforeAll(async () => {
    t = await createTestContext("postgres");
    restorePlatform = createMemoryPlatform().register(t.ctx);
    const a = await createTestUser(t.ctx, "user");
    tokens.A = a.token;
    userA = a.user.id;
    const { createUserApiToken: issue } = await import("@/app/lib/auth/apiTokens");
    tokens.R = (await issue(t.ctx.database.db, a.user.id, { name: "A's read-only", scope: "read" })).token;
    tokens.B = (await createTestUser(t.ctx, "user")).token;
    tokens.admin = (await createTestUser(t.ctx, "admin")).token;
    const account = await insertMemoryAccount(t.ctx, a.user.id);
    ids.account = account.id;
    const { POST } = await loadRoute("/api/posts");
    const created = await call(POST!, {
      method: "POST",
      token: tokens.A,
      body: {
        text: "A's private post",
        images: [{ data: tinyPng().toString("base64"), mimeType: "image/png", alt: "a pink square" }],
        accountIds: [account.id],
        scheduledAt: new Date(Date.now() + 86_400_000).toISOString() },
    });
    expect(created.status).toBe(201);
    ids.post = created.body.post.id;
    ids.delivery = created.body.post.deliveries[0].id;
    const repost = await call((await loadRoute("/api/reposts")).POST!, {
      method: "POST",
      token: tokens.A,
      body: { accountIds: [account.id], subject: "at://did:plc:aaaaaaaaaaaaaaaaaaaaaaaa/app.bsky.feed.post/3jzfcijpj2z2a", scheduledAt: new Date(Date.now() + 86_400_000).toISOString() },
    });
    expect(repost.status).toBe(201);
    ids.repost = repost.body.repost.id;
    const { createUserApiToken } = await import("@/app/lib/auth/apiTokens");
    ids.token = (await createUserApiToken(t.ctx.database.db, a.user.id, { name: "A's spare" })).apiToken.id;
    const { createWebhook } = await import("@/app/lib/webhooks/service");
    ids.webhook = (await createWebhook(t.ctx, a.user.id, { url: "http://127.0.0.1:9/hook", events: ["post.published"] })).id;
    const upload = (await loadRoute("/api/media")).POST!;
    const uploaded = await upload(
      new Request("http://localhost/api/media", { method: "POST", headers: { authorization: `Bearer ${tokens.A}` }, body: new Uint8Array(tinyPng(4, 4)) }),
      { params: Promise.resolve({}) },
    );
    expect(uploaded.status).toBe(201);
    ids.media = ((await uploaded.json()) as { media: { id: string } }).media.id;
  });
  afterAll(async () => {
    restorePlatform();
    await t.close();
  });

  it("covers every route file and method on disk", () => {
    const inMatrix = new Set(MATRIX.map((r) => `${r.method} ${r.pattern}`));
    const missing = discoverRoutes()
      .flatMap((r) => r.methods.map((m) => `${m} ${r.pattern}`))
      .filter((key) => !inMatrix.has(key) && !COVERED_ELSEWHERE.has(key));
    expect(missing).toEqual([]);
  });

  for (const row of MATRIX) {
    it(`${row.method} ${row.pattern}`, async () => {
      const handler = (await loadRoute(row.pattern))[row.method]!;
      // R before A: on destructive rows the read-only token must fail before A's request succeeds.
      const callers: Array<Caller | "R"> = ["anon", "B", "admin", "R", "A"];
      const readExpect = row.read ?? (row.method === "GET" ? row.expect.A : 403);
      for (const caller of callers) {
        const id = row.id ? ids[row.id] : undefined;
        let path = row.pattern.replace("[id]", id ?? "").replace("[...path]", "nothing-here");
        for (const [name, value] of Object.entries(row.params ?? {})) path = path.replace(`[${name}]`, value);
        const res = await call(handler, {
          method: row.method,
          path,
          token: tokens[caller],
          body: row.body === undefined ? undefined : JSON.parse(JSON.stringify(row.body).replaceAll("{account}", ids.account)),
          params: id ? { id, ...row.params } : row.pattern.includes("[...path]") ? { path: "nothing-here" } : {},
        });
        expect({ caller, status: res.status }).toEqual({ caller, status: caller === "R" ? readExpect : row.expect[caller] });
        if (res.status >= 400) expect(res.body?.error?.code, `${caller} error body`).toEqual(expect.any(String));
        if (caller === "R" && row.method !== "GET" && row.read === undefined) expect(res.body.error.code).toBe("insufficient_scope");
      }
    });
  }

  // Branch idem: the routes the matrix leaves to other suites, with A's read-only token.
  it("refuses a read-only token on POST /api/posts, POST /api/accounts and the MCP tools that change things", async () => {
    const count = async () => (await t.ctx.database.pool.query("select count(*)::int as n from posts")).rows[0].n as number;
    const before = await count();
    const posts = (await loadRoute("/api/posts")).POST!;
    // The matrix's last rows disconnected A's account: a fresh one.
    const account = await insertMemoryAccount(t.ctx, userA);
    const body = { text: "read-only tries to write", accountIds: [account.id], scheduledAt: new Date(Date.now() + 86_400_000).toISOString() };
    const created = await call(posts, { method: "POST", token: tokens.R, body });
    expect({ status: created.status, code: created.body.error?.code }).toEqual({ status: 403, code: "insufficient_scope" });
    const accounts = (await loadRoute("/api/accounts")).POST!;
    const connected = await call(accounts, { method: "POST", token: tokens.R, body: { platform: "bluesky", identifier: "x.test", appPassword: "abcd-efgh-ijkl-mnop" } });
    expect({ status: connected.status, code: connected.body.error?.code }).toEqual({ status: 403, code: "insufficient_scope" });

    const mcp = (await loadRoute("/api/mcp")).POST!;
    const tool = async (token: string, name: string, args: Record<string, unknown>) => {
      const res = await call(mcp, {
        method: "POST",
        token,
        headers: { accept: "application/json, text/event-stream" },
        body: { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: args } },
      });
      expect(res.status).toBe(200);
      return res.body.result as { isError?: boolean; structuredContent: { error?: { code: string } } };
    };
    const read = await tool(tokens.R!, "list_posts", {});
    expect(read.isError).toBeFalsy();
    expect(JSON.stringify(read.structuredContent)).toContain(ids.post);
    const write = await tool(tokens.R!, "schedule_post", { text: body.text, accountIds: body.accountIds, scheduledAt: body.scheduledAt });
    expect({ isError: write.isError, code: write.structuredContent.error?.code }).toEqual({ isError: true, code: "insufficient_scope" });
    const cancel = await tool(tokens.R!, "cancel_post", { id: ids.post });
    expect(cancel.structuredContent.error?.code).toBe("insufficient_scope");
    expect(await count()).toBe(before);
    // The same call with A's read-write token is allowed (so the refusal above is the scope's doing).
    const allowed = await tool(tokens.A!, "schedule_post", { text: body.text, accountIds: body.accountIds, scheduledAt: body.scheduledAt });
    expect(allowed.isError).toBeFalsy();
    expect(await count()).toBe(before + 1);
  });

  it("never shows A's account or post in B's or the admin's lists", async () => {
    const accounts = (await loadRoute("/api/accounts")).GET!;
    const posts = (await loadRoute("/api/posts")).GET!;
    for (const caller of ["B", "admin"] as const) {
      const a = await call(accounts, { token: tokens[caller] });
      const p = await call(posts, { token: tokens[caller] });
      expect(JSON.stringify(a.body)).not.toContain(ids.account);
      expect(JSON.stringify(p.body)).not.toContain(ids.post);
    }
  });

  it("stops a revoked token and a signed-out session at once", async () => {
    const db = t.ctx.database.db;
    const user = await createUser(db, { email: "revoke-me@example.test", password: "long enough pw", role: "admin" });
    const { createApiToken } = await import("@/app/lib/auth/apiTokens");
    const { id, token } = await createApiToken(db, user.email);
    const { sessionToken } = await signIn(t.ctx, { email: user.email, password: "long enough pw", address: "test" });
    const cookie = `postmore_session=${sessionToken}`;
    const me = (await loadRoute("/api/me")).GET!;
    const queues = (await loadRoute("/api/admin/queues")).GET!;
    expect((await call(queues, { token })).status).toBe(200);
    expect((await call(queues, { cookie })).status).toBe(200);

    await revokeApiToken(db, user.id, id);
    const signout = (await loadRoute("/api/auth/signout")).POST!;
    await call(signout, { method: "POST", cookie });
    for (const h of [me, queues]) {
      expect((await call(h, { token })).status).toBe(401);
      expect((await call(h, { cookie })).status).toBe(401);
    }
  });
});
