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
interface Row {
  method: string;
  pattern: string;
  id?: "account" | "post" | "delivery" | "token";
  body?: unknown;
  /** Path parameters besides the id. */
  params?: Record<string, string>;
  expect: Record<Caller, number>;
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
  { method: "POST", pattern: "/api/auth/signout", expect: { anon: 200, A: 200, B: 200, admin: 200 } },
  { method: "POST", pattern: "/api/auth/signout-everywhere", expect: anyUser },
  // A wrong current password: refused for everyone, nothing changes.
  { method: "POST", pattern: "/api/auth/password", body: { currentPassword: "not it", newPassword: "a long new password" }, expect: { anon: 401, A: 403, B: 403, admin: 403 } },
  { method: "GET", pattern: "/api/tokens", expect: anyUser },
  { method: "POST", pattern: "/api/tokens", body: { name: "matrix" }, expect: { anon: 401, A: 201, B: 201, admin: 201 } },
  ...["GET", "POST", "PUT", "PATCH", "DELETE"].map((method) => ({
    method,
    pattern: "/api/[...path]",
    expect: { anon: 404, A: 404, B: 404, admin: 404 },
  })),
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
  { method: "DELETE", pattern: "/api/accounts/[id]", id: "account", expect: { ...own, A: 204 } },
  { method: "DELETE", pattern: "/api/tokens/[id]", id: "token", expect: { ...own, A: 204 } },
];
// Exercised by their own suites (they need a PDS or a password): POST /api/accounts, POST /api/posts, POST /api/auth/signin.
// POST /api/mcp: test/automation/mcp.test.ts ("refuses a request without a valid API token on both transports").
const COVERED_ELSEWHERE = new Set(["POST /api/accounts", "POST /api/posts", "POST /api/auth/signin", "POST /api/mcp"]);

describe("authorization matrix", () => {
  let t: TestContext;
  const tokens: Partial<Record<Caller, string>> = {};
  const ids = { account: "", post: "", delivery: "", token: "" };
  let restorePlatform: () => void;

  beforeAll(async () => {
    t = await createTestContext("postgres");
    restorePlatform = createMemoryPlatform().register();
    const a = await createTestUser(t.ctx, "user");
    tokens.A = a.token;
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
    const { createUserApiToken } = await import("@/app/lib/auth/apiTokens");
    ids.token = (await createUserApiToken(t.ctx.database.db, a.user.id, { name: "A's spare" })).apiToken.id;
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
      const callers: Caller[] = ["anon", "B", "admin", "A"];
      for (const caller of callers) {
        const id = row.id ? ids[row.id] : undefined;
        let path = row.pattern.replace("[id]", id ?? "").replace("[...path]", "nothing-here");
        for (const [name, value] of Object.entries(row.params ?? {})) path = path.replace(`[${name}]`, value);
        const res = await call(handler, {
          method: row.method,
          path,
          token: tokens[caller],
          body: row.body,
          params: id ? { id, ...row.params } : row.pattern.includes("[...path]") ? { path: "nothing-here" } : {},
        });
        expect({ caller, status: res.status }).toEqual({ caller, status: row.expect[caller] });
        if (res.status >= 400) expect(res.body?.error?.code, `${caller} error body`).toEqual(expect.any(String));
      }
    });
  }

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
