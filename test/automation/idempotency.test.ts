import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { purgeExpiredAuth } from "@/app/lib/auth/purge";
import { idempotencyKeys } from "@/app/lib/db/schema";
import { requestHash } from "@/app/lib/http/idempotency";
import { call } from "@/test/helpers/http";
import { createMemoryPlatform, insertMemoryAccount } from "@/test/helpers/memoryPlatform";
import { createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";
import { loadRoute } from "@/test/security/routes";

/** Idempotency-Key on POST (DESIGN.md v1.2), through the real route handlers and PostgreSQL. */
describe("Idempotency-Key", () => {
  let t: TestContext;
  let restore: () => void;
  const a = { token: "", userId: "", accountId: "" };
  const b = { token: "", userId: "", accountId: "" };
  const later = () => new Date(Date.now() + 86_400_000).toISOString();

  beforeAll(async () => {
    t = await createTestContext("postgres");
    restore = createMemoryPlatform().register(t.ctx);
    for (const who of [a, b]) {
      const u = await createTestUser(t.ctx, "user");
      who.token = u.token;
      who.userId = u.user.id;
      who.accountId = (await insertMemoryAccount(t.ctx, u.user.id)).id;
    }
  });
  afterAll(async () => {
    restore();
    await t.close();
  });

  const postCount = async (userId: string) =>
    (await t.ctx.database.pool.query("select count(*)::int as n from posts where user_id = $1", [userId])).rows[0].n as number;

  async function createPost(who: typeof a, key: string | undefined, text: string, scheduledAt: string) {
    const { POST } = await loadRoute("/api/posts");
    return call(POST!, {
      method: "POST",
      path: "/api/posts",
      token: who.token,
      headers: key ? { "idempotency-key": key } : {},
      body: { text, accountIds: [who.accountId], scheduledAt },
    });
  }

  it("20 concurrent identical requests with one key create exactly one post, and all get its answer", async () => {
    const when = later();
    const before = await postCount(a.userId);
    const results = await Promise.all(Array.from({ length: 20 }, () => createPost(a, "burst-1", "one of twenty", when)));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(201));
    const ids = new Set(results.map((r) => r.body.post.id));
    expect(ids.size).toBe(1);
    expect(await postCount(a.userId)).toBe(before + 1);
    expect(results.filter((r) => r.headers.get("idempotent-replayed") === "true")).toHaveLength(19);
  });

  it("replays the first answer later; the same key with a different body is 422 idempotency_key_reused", async () => {
    const when = later();
    const first = await createPost(a, "retry-me", "first try", when);
    expect(first.status).toBe(201);
    const before = await postCount(a.userId);
    const again = await createPost(a, "retry-me", "first try", when);
    expect(again).toMatchObject({ status: 201, body: first.body });
    const other = await createPost(a, "retry-me", "a different text", when);
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe("idempotency_key_reused");
    expect(await postCount(a.userId)).toBe(before);
    // Without a key every request is new.
    expect((await createPost(a, undefined, "first try", when)).status).toBe(201);
    expect(await postCount(a.userId)).toBe(before + 1);
  });

  it("scopes keys to the user: another user's identical key creates that user's own post", async () => {
    const when = later();
    const fromA = await createPost(a, "shared-key", "same words", when);
    const fromB = await createPost(b, "shared-key", "same words", when);
    expect(fromA.status).toBe(201);
    expect(fromB.status).toBe(201);
    expect(fromB.body.post.id).not.toBe(fromA.body.post.id);
    expect(fromB.headers.get("idempotent-replayed")).toBeNull();
    const { GET } = await loadRoute("/api/posts/[id]");
    expect((await call(GET!, { token: b.token, params: { id: fromB.body.post.id } })).status).toBe(200);
    expect((await call(GET!, { token: b.token, params: { id: fromA.body.post.id } })).status).toBe(404);
  });

  it("frees the key after an error answer, so the corrected retry runs", async () => {
    const past = new Date(Date.now() - 3_600_000).toISOString();
    const refused = await createPost(a, "fix-and-retry", "too late", past);
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe("scheduled_in_past");
    const rows = await t.ctx.database.pool.query("select count(*)::int as n from idempotency_keys where key = 'fix-and-retry'");
    expect(rows.rows[0].n).toBe(0);
    const when = later();
    const fixed = await createPost(a, "fix-and-retry", "in time now", when);
    expect(fixed.status).toBe(201);
    const repeated = await createPost(a, "fix-and-retry", "in time now", when);
    expect(repeated.headers.get("idempotent-replayed")).toBe("true");
    expect(repeated.body.post.id).toBe(fixed.body.post.id);
  });

  it("takes over a reservation whose request died, instead of blocking the key", async () => {
    const when = later();
    const body = JSON.stringify({ text: "after a crash", accountIds: [a.accountId], scheduledAt: when });
    // What a process killed mid-request leaves behind: a reservation, no answer, lease over.
    await t.ctx.database.db.insert(idempotencyKeys).values({
      userId: a.userId,
      key: "crashed",
      requestHash: requestHash("POST", "http://localhost/api/posts", body),
      lockedUntil: new Date(Date.now() - 1000),
    });
    const before = await postCount(a.userId);
    const { POST } = await loadRoute("/api/posts");
    const headers = { "idempotency-key": "crashed", "content-type": "application/json" };
    const res = await call(POST!, { method: "POST", path: "/api/posts", token: a.token, headers, rawBody: body });
    expect(res.status).toBe(201);
    const again = await call(POST!, { method: "POST", path: "/api/posts", token: a.token, headers, rawBody: body });
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.post.id).toBe(res.body.post.id);
    expect(await postCount(a.userId)).toBe(before + 1);
  });

  it("works on other POST routes too: a replayed token creation returns the same token and makes one", async () => {
    const { POST } = await loadRoute("/api/tokens");
    const send = () => call(POST!, { method: "POST", token: a.token, headers: { "idempotency-key": "token-1" }, body: { name: "n8n" } });
    const first = await send();
    const second = await send();
    expect(first.status).toBe(201);
    expect(second.body).toEqual(first.body);
    const n = await t.ctx.database.pool.query("select count(*)::int as n from api_tokens where user_id = $1 and name = 'n8n'", [a.userId]);
    expect(n.rows[0].n).toBe(1);
    // Stored sealed: the token is not readable in the table.
    const raw = await t.ctx.database.pool.query("select response_body from idempotency_keys where key = 'token-1'");
    expect(raw.rows[0].response_body).not.toContain(first.body.token.token);
  });

  it("forgets a key after 24 h: it may then name a new request, and the hourly purge deletes old keys", async () => {
    const when = later();
    const first = await createPost(a, "yesterday", "old request", when);
    expect(first.status).toBe(201);
    await t.ctx.database.pool.query("update idempotency_keys set created_at = now() - interval '25 hours' where key = 'yesterday'");
    const fresh = await createPost(a, "yesterday", "a new request", when);
    expect(fresh.status).toBe(201);
    expect(fresh.body.post.id).not.toBe(first.body.post.id);

    await t.ctx.database.pool.query("update idempotency_keys set created_at = now() - interval '25 hours' where key = 'yesterday'");
    const purged = await purgeExpiredAuth(t.ctx);
    expect(purged.idempotencyKeys).toBeGreaterThanOrEqual(1);
    const left = await t.ctx.database.pool.query("select key from idempotency_keys where created_at < now() - interval '24 hours'");
    expect(left.rows).toEqual([]);
    expect((await t.ctx.database.pool.query("select count(*)::int as n from idempotency_keys")).rows[0].n).toBeGreaterThan(0);
  });

  it("refuses a malformed key with 400 and creates nothing", async () => {
    const before = await postCount(a.userId);
    const res = await createPost(a, "x".repeat(256), "long key", later());
    expect(res.status).toBe(400);
    expect(await postCount(a.userId)).toBe(before);
  });
});
