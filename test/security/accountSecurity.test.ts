import { spawnSync } from "node:child_process";
import http from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "@/app/lib/auth/users";
import { purgeExpiredAuth } from "@/app/lib/auth/purge";
import { waitFor } from "@/test/helpers/postsApi";
import { createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";
import { cookiePair, startWebApps, type WebApp } from "./webApp";

/**
 * Throttles, API tokens and sessions against two production web processes on one database
 * (what one counts, the other sees). Lockouts start at 2 s here so the doubling is observable.
 */
const LIMITS = { SIGNIN_LOCKOUT_SECONDS: "2", API_RATE_LIMIT_PER_MINUTE: "20", ACCOUNT_CONNECT_LIMIT_PER_HOUR: "2" };
const password = "correct horse battery";

describe("throttles, tokens and sessions against the built app", () => {
  let t: TestContext;
  let web: WebApp[];

  beforeAll(async () => {
    t = await createTestContext("postgres");
    web = await startWebApps(t, [LIMITS, LIMITS]);
  }, 180_000);
  afterAll(async () => {
    await Promise.all((web ?? []).map((w) => w.proc.stop()));
    await t?.close();
  });

  const url = (i: number, p: string) => `${web[i % 2]!.url}${p}`;
  const signIn = (i: number, email: string, pw: string, address: string) =>
    fetch(url(i, "/api/auth/signin"), {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": address },
      body: JSON.stringify({ email, password: pw }),
    });
  const newUser = async (tag: string) => {
    const email = `${tag}-${Math.random().toString(36).slice(2, 8)}@example.test`;
    return { email, user: await createUser(t.ctx.database.db, { email, password, role: "user" }) };
  };

  describe("sign-in throttling", () => {
    it("locks an email out after 5 failures on any web process, with Retry-After and a doubling wait", async () => {
      const { email } = await newUser("locked");
      for (let i = 0; i < 5; i++) expect((await signIn(i, email, "wrong password", `10.1.0.${i}`)).status).toBe(401);
      // Even the right password waits: the other process sees the same counters.
      const locked = await signIn(1, email, password, "10.1.1.1");
      expect(locked.status).toBe(429);
      const first = Number(locked.headers.get("retry-after"));
      expect(first).toBeGreaterThanOrEqual(1);
      expect(first).toBeLessThanOrEqual(2);
      expect(((await locked.json()) as { error: { code: string } }).error.code).toBe("too_many_requests");

      // Once the wait is over one more guess is allowed; failing it doubles the wait.
      await waitFor("first lockout over", async () => (await signIn(0, email, "wrong again", "10.1.2.1")).status === 401, 30_000, 250);
      const second = await signIn(1, email, "wrong password", "10.1.2.2");
      expect(second.status).toBe(429);
      expect(Number(second.headers.get("retry-after"))).toBeGreaterThan(first);
      expect(Number(second.headers.get("retry-after"))).toBeLessThanOrEqual(4);

      await waitFor("second lockout over", async () => {
        const res = await signIn(0, email, password, "10.1.3.1");
        return res.status === 200 ? res : undefined;
      }, 30_000, 250);
    });

    it("locks a client address out after 5 failures, whatever the emails", async () => {
      const address = "10.2.0.9";
      for (let i = 0; i < 5; i++) expect((await signIn(i, `nobody${i}@example.test`, "wrong password", address)).status).toBe(401);
      const { email } = await newUser("innocent");
      expect((await signIn(0, email, password, address)).status).toBe(429);
      expect((await signIn(1, email, password, "10.2.0.10")).status).toBe(200);
    });

    it("did not verify passwords while locked out (fast answers, no argon2)", async () => {
      const { email } = await newUser("fast");
      for (let i = 0; i < 5; i++) await signIn(i, email, "wrong password", `10.3.0.${i}`);
      const statuses = await Promise.all(Array.from({ length: 30 }, (_, i) => signIn(i, email, "guess " + i, `10.3.1.${i}`).then((r) => r.status)));
      expect(new Set(statuses)).toEqual(new Set([429]));
    });
  });

  describe("API limits", () => {
    it("answers 429 with Retry-After past the per-token limit; another token is unaffected", async () => {
      const { token } = await createTestUser(t.ctx);
      const other = await createTestUser(t.ctx);
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 22; i++) {
        const res = await fetch(url(0, "/api/me"), { headers: { authorization: `Bearer ${token}` } });
        statuses.push(res.status);
        if (res.status === 429) retryAfter = res.headers.get("retry-after");
      }
      expect(statuses.slice(0, 20)).toEqual(Array(20).fill(200));
      expect(statuses.slice(20)).toEqual([429, 429]);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      expect((await fetch(url(0, "/api/me"), { headers: { authorization: `Bearer ${other.token}` } })).status).toBe(200);
    });

    it("limits account-connect attempts per user", async () => {
      const { token } = await createTestUser(t.ctx);
      const connect = () =>
        fetch(url(0, "/api/accounts"), {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ platform: "bluesky", identifier: "nobody.test", appPassword: "aaaa-bbbb-cccc-dddd", service: "http://127.0.0.1:9" }),
        });
      for (let i = 0; i < 2; i++) expect((await connect()).status).not.toBe(429);
      const third = await connect();
      expect(third.status).toBe(429);
      expect(third.headers.get("retry-after")).toBeTruthy();
    });
  });

  describe("API tokens", () => {
    it("creates, lists with last use, expires and revokes tokens; another user cannot see or revoke them", async () => {
      const { email } = await newUser("tokens");
      const cookie = cookiePair(await signIn(0, email, password, "10.4.0.1"));
      const create = (body: unknown) =>
        fetch(url(0, "/api/tokens"), { method: "POST", headers: { cookie, "content-type": "application/json" }, body: JSON.stringify(body) });
      const made = await create({ name: "deploy script" });
      expect(made.status).toBe(201);
      const { token } = (await made.json()) as { token: { id: string; name: string; token: string; expiresAt: null; lastUsedAt: null } };
      expect(token).toMatchObject({ name: "deploy script", expiresAt: null, lastUsedAt: null });
      expect(token.token).toMatch(/^pmt_/);

      expect((await fetch(url(1, "/api/me"), { headers: { authorization: `Bearer ${token.token}` } })).status).toBe(200);
      const listed = (await (await fetch(url(1, "/api/tokens"), { headers: { cookie } })).json()) as { tokens: Array<Record<string, unknown>> };
      expect(listed.tokens).toHaveLength(1);
      expect(listed.tokens[0]).toMatchObject({ id: token.id, name: "deploy script" });
      expect(listed.tokens[0]!.lastUsedAt).toEqual(expect.any(String));
      expect(JSON.stringify(listed)).not.toContain(token.token);

      expect((await create({ name: "past", expiresAt: "2020-01-01T00:00:00Z" })).status).toBe(422);
      const soon = (await (await create({ name: "soon", expiresAt: new Date(Date.now() + 60_000).toISOString() })).json()) as { token: { id: string; token: string } };
      expect((await fetch(url(0, "/api/me"), { headers: { authorization: `Bearer ${soon.token.token}` } })).status).toBe(200);
      await t.ctx.database.pool.query("update api_tokens set expires_at = now() - interval '1 second' where id = $1", [soon.token.id]);
      expect((await fetch(url(0, "/api/me"), { headers: { authorization: `Bearer ${soon.token.token}` } })).status).toBe(401);

      const stranger = await createTestUser(t.ctx);
      const strangerList = (await (await fetch(url(0, "/api/tokens"), { headers: { authorization: `Bearer ${stranger.token}` } })).json()) as { tokens: Array<{ id: string }> };
      expect(strangerList.tokens.map((x) => x.id)).not.toContain(token.id);
      expect((await fetch(url(0, `/api/tokens/${token.id}`), { method: "DELETE", headers: { authorization: `Bearer ${stranger.token}` } })).status).toBe(404);
      expect((await fetch(url(0, "/api/tokens/not-a-uuid"), { method: "DELETE", headers: { cookie } })).status).toBe(404);

      expect((await fetch(url(0, `/api/tokens/${token.id}`), { method: "DELETE", headers: { cookie } })).status).toBe(204);
      expect((await fetch(url(1, "/api/me"), { headers: { authorization: `Bearer ${token.token}` } })).status).toBe(401);
      expect((await fetch(url(0, `/api/tokens/${token.id}`), { method: "DELETE", headers: { cookie } })).status).toBe(404);
    });
  });

  describe("sessions", () => {
    it("a password change ends the other sessions and keeps this one; the old password stops working", async () => {
      const { email } = await newUser("pwchange");
      const mine = cookiePair(await signIn(0, email, password, "10.5.0.1"));
      const other = cookiePair(await signIn(1, email, password, "10.5.0.2"));
      const change = (cookie: string, body: unknown) =>
        fetch(url(0, "/api/auth/password"), { method: "POST", headers: { cookie, "content-type": "application/json" }, body: JSON.stringify(body) });
      const wrong = await change(mine, { currentPassword: "not it at all", newPassword: "a brand new password" });
      expect(wrong.status).toBe(403);
      expect((await change(mine, { currentPassword: password, newPassword: "short" })).status).toBe(400);
      const ok = await change(mine, { currentPassword: password, newPassword: "a brand new password" });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ passwordChanged: true, endedSessions: 1 });
      expect((await fetch(url(1, "/api/me"), { headers: { cookie: mine } })).status).toBe(200);
      expect((await fetch(url(1, "/api/me"), { headers: { cookie: other } })).status).toBe(401);
      expect((await signIn(0, email, password, "10.5.0.3")).status).toBe(401);
      expect((await signIn(0, email, "a brand new password", "10.5.0.4")).status).toBe(200);
    });

    it("sign out everywhere ends every session of the user and no one else's", async () => {
      const { email } = await newUser("everywhere");
      const a = cookiePair(await signIn(0, email, password, "10.6.0.1"));
      const b = cookiePair(await signIn(1, email, password, "10.6.0.2"));
      const { email: otherEmail } = await newUser("bystander");
      const c = cookiePair(await signIn(0, otherEmail, password, "10.6.0.3"));
      const res = await fetch(url(0, "/api/auth/signout-everywhere"), { method: "POST", headers: { cookie: a } });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ endedSessions: 2 });
      for (const cookie of [a, b]) expect((await fetch(url(1, "/api/me"), { headers: { cookie } })).status).toBe(401);
      expect((await fetch(url(1, "/api/me"), { headers: { cookie: c } })).status).toBe(200);
    });

    it("ends a session idle past SESSION_IDLE_HOURS or past its 30 days, and the purge removes them", async () => {
      const { email, user } = await newUser("idle");
      const idle = cookiePair(await signIn(0, email, password, "10.7.0.1"));
      const old = cookiePair(await signIn(0, email, password, "10.7.0.2"));
      const live = cookiePair(await signIn(0, email, password, "10.7.0.3"));
      const sessionId = async (cookie: string) => {
        const { hashOpaqueToken } = await import("@/app/lib/auth/secrets");
        return hashOpaqueToken(cookie.split("=")[1]!);
      };
      // Time passing, written into the rows: 73 h idle (default limit 72 h), and past the absolute expiry.
      await t.ctx.database.pool.query("update sessions set last_seen_at = now() - interval '73 hours' where id = $1", [await sessionId(idle)]);
      await t.ctx.database.pool.query("update sessions set expires_at = now() - interval '1 minute' where id = $1", [await sessionId(old)]);
      expect((await fetch(url(0, "/api/me"), { headers: { cookie: idle } })).status).toBe(401);
      expect((await fetch(url(0, "/api/me"), { headers: { cookie: old } })).status).toBe(401);
      expect((await fetch(url(0, "/api/me"), { headers: { cookie: live } })).status).toBe(200);

      const before = (await t.ctx.database.pool.query("select count(*)::int as n from sessions where user_id = $1", [user.id])).rows[0].n;
      expect(before).toBe(3);
      const purged = await purgeExpiredAuth(t.ctx);
      expect(purged.sessions).toBeGreaterThanOrEqual(2);
      const after = (await t.ctx.database.pool.query("select count(*)::int as n from sessions where user_id = $1", [user.id])).rows[0].n;
      expect(after).toBe(1);
      expect((await fetch(url(0, "/api/me"), { headers: { cookie: live } })).status).toBe(200);
    });

    it("schedules the hourly purge at start", async () => {
      const { getTokenRefreshQueue } = await import("@/app/lib/queues/tokenRefreshQueue");
      const queue = getTokenRefreshQueue(t.ctx);
      const scheduler = await waitFor("purge scheduler", async () => queue.getJobScheduler("purge-expired-auth"), 30_000, 250);
      expect(scheduler).toMatchObject({ pattern: "17 * * * *", name: "purge-expired-auth" });
      // The refresh worker's processor runs that job (what the worker does on the hour).
      const { tokenRefreshProcessor } = await import("@/app/lib/queues/tokenRefreshQueue");
      await t.ctx.database.pool.query("insert into rate_limits (key, points, expire) values ('spent', 1, $1)", [Date.now() - 1000]);
      const result = await tokenRefreshProcessor(t.ctx)({ name: "purge-expired-auth", data: {}, id: "p1", attemptsMade: 0 } as never, "tok");
      expect(result).toMatchObject({ rateLimits: expect.any(Number) });
      expect((await t.ctx.database.pool.query("select 1 from rate_limits where key = 'spent'")).rowCount).toBe(0);
    });
  });

  describe("CLI", () => {
    const root = path.resolve(import.meta.dirname, "../..");
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [path.join(root, "node_modules/tsx/dist/cli.mjs"), "scripts/cli.ts", ...args], {
        cwd: root,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: t.databaseUrl, POSTMORE_SECRET: t.secret, QUEUE_BACKEND: "postgres", LOG_LEVEL: "warn", NODE_ENV: "test" } as NodeJS.ProcessEnv,
        encoding: "utf8",
        timeout: 60_000,
      });

    // A fresh connection per request: each CLI run outlasts the server's keep-alive timeout,
    // and reusing a pooled socket the server is closing fails the request.
    const send = (path: string, headers: Record<string, string>, body?: string) =>
      new Promise<{ status: number; cookie: string }>((resolve, reject) => {
        const req = http.request(url(0, path), { method: body ? "POST" : "GET", headers, agent: false }, (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, cookie: String(res.headers["set-cookie"]?.[0] ?? "").split(";")[0]! });
        });
        req.on("error", reject);
        req.end(body);
      });
    const status = async (path: string, headers: Record<string, string>) => (await send(path, headers)).status;
    const freshSignIn = (email: string, pw: string) =>
      send("/api/auth/signin", { "content-type": "application/json", "x-forwarded-for": "10.8.0.1" }, JSON.stringify({ email, password: pw }));

    it("creates a token with a name and expiry, lists it, revokes it; set-password ends sessions", async () => {
      const { email } = await newUser("cli");
      const created = cli("create-token", "--email", email, "--name", "cron job", "--expires", "30d");
      expect(created.status, created.stderr).toBe(0);
      const token = created.stdout.trim().split("\n").pop()!;
      expect(await status("/api/me", { authorization: `Bearer ${token}` })).toBe(200);
      const listed = cli("list-tokens", "--email", email);
      expect(listed.status, listed.stderr).toBe(0);
      expect(listed.stdout).toContain("cron job");
      const id = /^([0-9a-f-]{36})\s/m.exec(listed.stdout)?.[1];
      expect(id).toBeTruthy();
      const expires = (await t.ctx.database.pool.query("select expires_at from api_tokens where id = $1", [id])).rows[0].expires_at as Date;
      expect(Math.abs(expires.getTime() - (Date.now() + 30 * 86_400_000))).toBeLessThan(3600_000);
      expect(cli("create-token", "--email", email, "--expires", "yesterday").status).not.toBe(0);
      expect(cli("revoke-token", "--email", email, "--id", id!).status).toBe(0);
      expect(await status("/api/me", { authorization: `Bearer ${token}` })).toBe(401);

      const session = (await freshSignIn(email, password)).cookie;
      const changed = cli("set-password", "--email", email, "--password", "another long password");
      expect(changed.status, changed.stderr).toBe(0);
      expect(await status("/api/me", { cookie: session })).toBe(401);
      expect(await status("/api/me", { cookie: (await freshSignIn(email, "another long password")).cookie })).toBe(200);
    }, 120_000);
  });
});
