import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as me } from "@/app/api/me/route";
import { POST as signinRoute } from "@/app/api/auth/signin/route";
import { POST as signoutRoute } from "@/app/api/auth/signout/route";
import { GET as unknownRoute } from "@/app/api/[...path]/route";
import { call } from "@/test/helpers/http";
import { createTestContext, type TestContext } from "@/test/helpers/testContext";
import { createApiToken, revokeApiToken } from "../apiTokens";
import { createUser } from "../users";

describe("auth", () => {
  let t: TestContext;
  const email = "Alice@Example.test";
  const password = "correct horse battery staple";

  beforeAll(async () => {
    t = await createTestContext("postgres");
    await createUser(t.ctx.database.db, { email, password, role: "admin" });
  });
  afterAll(async () => {
    await t.close();
  });

  const cookieFrom = (headers: Headers) => (headers.get("set-cookie") ?? "").split(";")[0]!;

  it("stores only a password hash", async () => {
    const rows = await t.ctx.database.pool.query("select password_hash from users");
    expect(rows.rows[0].password_hash).toMatch(/^\$argon2id\$/);
    expect(JSON.stringify(rows.rows)).not.toContain(password);
  });

  it("refuses duplicate emails (case-insensitive) and weak input with clear errors", async () => {
    await expect(createUser(t.ctx.database.db, { email: "alice@example.test", password, role: "user" })).rejects.toThrow(
      /already exists/,
    );
    await expect(createUser(t.ctx.database.db, { email: "not-an-email", password, role: "user" })).rejects.toThrow(
      /email/,
    );
    await expect(createUser(t.ctx.database.db, { email: "b@example.test", password: "short", role: "user" })).rejects.toThrow(
      /8 characters/,
    );
  });

  it("signs in with the right password, keeps the session until sign-out", async () => {
    const res = await call(signinRoute, { method: "POST", body: { email: "alice@example.test", password } });
    expect(res.status).toBe(200);
    expect(res.headers.get("set-cookie")).toMatch(/HttpOnly/);
    const cookie = cookieFrom(res.headers);

    const who = await call(me, { cookie });
    expect(who.status).toBe(200);
    expect(who.body.user).toMatchObject({ email: "alice@example.test", role: "admin" });

    const out = await call(signoutRoute, { method: "POST", cookie });
    expect(out.status).toBe(200);
    const after = await call(me, { cookie });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe("unauthenticated");
  });

  it("answers a wrong password or unknown email with 401 and no cookie", async () => {
    for (const body of [
      { email, password: "wrong password!" },
      { email: "nobody@example.test", password },
    ]) {
      const res = await call(signinRoute, { method: "POST", body });
      expect(res.status).toBe(401);
      expect(res.headers.get("set-cookie")).toBeNull();
      expect(res.body.error).toMatchObject({ code: "unauthenticated", message: "wrong email or password" });
    }
  });

  it("rejects malformed sign-in bodies with 4xx JSON", async () => {
    expect((await call(signinRoute, { method: "POST", rawBody: "{not json", headers: { "content-type": "application/json" } })).status).toBe(400);
    expect((await call(signinRoute, { method: "POST", rawBody: "{not json" })).status).toBe(415);
    expect((await call(signinRoute, { method: "POST", body: { email: 5 } })).status).toBe(400);
    expect((await call(signinRoute, { method: "POST", body: [] })).status).toBe(400);
  });

  it("accepts an API token until it is revoked", async () => {
    const { id, token } = await createApiToken(t.ctx.database.db, email);
    expect(token).toMatch(/^pmt_/);
    const rows = await t.ctx.database.pool.query("select token_hash from api_tokens where id = $1", [id]);
    expect(rows.rows[0].token_hash).not.toContain(token);

    expect((await call(me, { token })).status).toBe(200);
    const userId = (await call(me, { token })).body.user.id as string;
    await revokeApiToken(t.ctx.database.db, userId, id);
    const after = await call(me, { token });
    expect(after.status).toBe(401);
  });

  it("answers 401 JSON without credentials or with a bogus token", async () => {
    const anon = await call(me);
    expect(anon.status).toBe(401);
    expect(anon.body.error.code).toBe("unauthenticated");
    expect((await call(me, { token: "pmt_bogus" })).status).toBe(401);
    expect((await call(me, { headers: { authorization: "Basic abc" } })).status).toBe(401);
  });

  it("answers unknown API routes with a JSON 404", async () => {
    const res = await call(unknownRoute, { path: "/api/does-not-exist" });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("not_found");
  });
});

describe("request ids", () => {
  it("echo a sane x-request-id and make one up otherwise", async () => {
    const given = await call(unknownRoute, { path: "/api/x", headers: { "x-request-id": "req-123" } });
    expect(given.headers.get("x-request-id")).toBe("req-123");
    const made = await call(unknownRoute, { path: "/api/x", headers: { "x-request-id": "bad id with spaces" } });
    expect(made.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});
