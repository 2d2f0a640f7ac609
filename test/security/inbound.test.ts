import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";
import { cookiePair, rssOfTree, startWebApps, type WebApp } from "./webApp";

/**
 * Inbound limits, cross-site requests, malformed cookies and security headers, against the
 * production build: web[0] as installed (no PUBLIC_URL), web[1] behind https (PUBLIC_URL).
 */
const PUBLIC_URL = "https://postmore.example";
const MiB = 1024 * 1024;

describe("inbound requests against the built app", () => {
  let t: TestContext;
  let web: WebApp[];
  let own = "";
  const email = "inbound@example.test";
  const password = "correct horse battery";

  beforeAll(async () => {
    t = await createTestContext("postgres");
    const { createUser } = await import("@/app/lib/auth/users");
    await createUser(t.ctx.database.db, { email, password, role: "user" });
    web = await startWebApps(t, [{}, { PUBLIC_URL }]);
    own = web[0]!.url;
  }, 180_000);
  afterAll(async () => {
    await Promise.all((web ?? []).map((w) => w.proc.stop()));
    await t?.close();
  });

  const signIn = async (base: string, headers: Record<string, string> = {}) =>
    fetch(`${base}/api/auth/signin`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ email, password }),
    });
  const tokenCount = async () => (await t.ctx.database.pool.query("select count(*)::int as n from api_tokens")).rows[0].n as number;

  describe("body limits", () => {
    /**
     * Sends `total` bytes chunked (no Content-Length) like a hostile client: it keeps writing
     * after the answer, until everything is sent or the server closes the connection.
     */
    function chunkedPost(url: string, total: number): Promise<{ status: number; body: string; sent: number }> {
      return new Promise((resolve, reject) => {
        const req = http.request(url, { method: "POST", headers: { "content-type": "application/json", "transfer-encoding": "chunked" } });
        let answer: { status: number; body: string } | undefined;
        let sent = 0;
        let finished = false;
        const finish = () => {
          if (answer && finished) resolve({ ...answer, sent });
        };
        req.on("response", (res) => {
          let body = "";
          res.on("data", (d: Buffer) => (body += d.toString()));
          res.on("end", () => {
            answer = { status: res.statusCode ?? 0, body };
            finish();
          });
        });
        req.on("error", (err) => {
          finished = true;
          if (answer) finish();
          else if (sent < total) setTimeout(() => (answer ? finish() : reject(err)), 1000);
        });
        const chunk = Buffer.alloc(MiB, "a");
        const pump = () => {
          while (!finished && sent < total) {
            sent += chunk.length;
            if (!req.write(chunk)) return void req.once("drain", pump);
          }
          if (!finished) req.end(() => ((finished = true), finish()));
        };
        pump();
      });
    }

    it("refuses a 64 MiB chunked body to the sign-in route with 413 and the web process stays small", async () => {
      const pid = web[0]!.proc.child.pid!;
      const before = await rssOfTree(pid);
      let peak = before;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          peak = Math.max(peak, await rssOfTree(pid));
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      const res = await chunkedPost(`${own}/api/auth/signin`, 64 * MiB);
      sampling = false;
      await sampler;
      peak = Math.max(peak, await rssOfTree(pid));
      expect(res.status).toBe(413);
      expect(JSON.parse(res.body).error.code).toBe("payload_too_large");
      console.log(`64 MiB chunked sign-in body (${(res.sent / MiB).toFixed(0)} MiB written before the server closed): RSS ${(before / MiB).toFixed(0)} MiB before, peak ${(peak / MiB).toFixed(0)} MiB`);
      // Buffering the body would add at least its 64 MiB; streaming with a 1 MiB cap adds a few.
      expect(peak - before).toBeLessThan(32 * MiB);
      expect((await fetch(`${own}/api/health`)).status).toBe(200);
    });

    it("refuses a declared Content-Length over 1 MiB, and accepts a body just under it", async () => {
      const { token } = await createTestUser(t.ctx);
      const big = await fetch(`${own}/api/tokens`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "x", pad: "y".repeat(MiB) }),
      });
      expect(big.status).toBe(413);
      const under = await fetch(`${own}/api/tokens`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "n".repeat(50) }) + " ".repeat(MiB - 100),
      });
      expect(under.status).toBe(201);
    });

    it("answers 415 to a JSON route sent anything but application/json", async () => {
      const { token } = await createTestUser(t.ctx);
      const before = await tokenCount();
      for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonp"]) {
        const res = await fetch(`${own}/api/tokens`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": type },
          body: JSON.stringify({ name: "by " + type }),
        });
        expect(res.status, type).toBe(415);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unsupported_media_type");
      }
      const charset = await fetch(`${own}/api/tokens`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json; charset=utf-8" },
        body: JSON.stringify({ name: "with charset" }),
      });
      expect(charset.status).toBe(201);
      expect(await tokenCount()).toBe(before + 1);
    });
  });

  describe("cross-site requests (CSRF matrix)", () => {
    let cookie = "";
    let token = "";
    beforeAll(async () => {
      const res = await signIn(own);
      expect(res.status).toBe(200);
      cookie = cookiePair(res);
      const { createApiToken } = await import("@/app/lib/auth/apiTokens");
      token = (await createApiToken(t.ctx.database.db, email, "csrf-matrix")).token;
    });

    type Row = { auth: "cookie" | "token"; origin?: string; site?: string; type: string; expect: number };
    const evil = "https://evil.example";
    const rows = (): Row[] => [
      ...["application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"].flatMap((type) => [
        { auth: "cookie" as const, origin: evil, type, expect: 403 },
        { auth: "cookie" as const, site: "cross-site", type, expect: 403 },
      ]),
      { auth: "cookie", origin: "null", type: "application/json", expect: 403 },
      { auth: "cookie", origin: `http://127.0.0.1:1`, type: "application/json", expect: 403 },
      { auth: "cookie", site: "same-site", type: "application/json", expect: 403 },
      { auth: "cookie", origin: evil, site: "same-origin", type: "application/json", expect: 403 },
      { auth: "cookie", origin: own, type: "application/json", expect: 201 },
      { auth: "cookie", origin: own, type: "text/plain", expect: 415 },
      { auth: "cookie", site: "same-origin", type: "application/json", expect: 201 },
      // Neither header: not a browser page, so the cookie was not attached behind anyone's back.
      { auth: "cookie", type: "application/json", expect: 201 },
      { auth: "token", origin: evil, type: "application/json", expect: 201 },
      { auth: "token", site: "cross-site", type: "application/json", expect: 201 },
      { auth: "token", origin: evil, type: "text/plain", expect: 415 },
    ];

    it("lets cookie-authenticated writes through only from the app's own origin; bearer tokens are unaffected", async () => {
      for (const row of rows()) {
        const before = await tokenCount();
        const headers: Record<string, string> = { "content-type": row.type };
        if (row.auth === "cookie") headers.cookie = cookie;
        else headers.authorization = `Bearer ${token}`;
        if (row.origin) headers.origin = row.origin;
        if (row.site) headers["sec-fetch-site"] = row.site;
        const res = await fetch(`${own}/api/tokens`, { method: "POST", headers, body: JSON.stringify({ name: "csrf" }) });
        const what = JSON.stringify(row);
        expect(res.status, what).toBe(row.expect);
        expect(await tokenCount(), what).toBe(before + (row.expect === 201 ? 1 : 0));
        if (row.expect === 403) expect(((await res.json()) as { error: { code: string } }).error.code, what).toBe("forbidden");
      }
    });

    it("refuses a cross-site text/plain post, a cross-site delete and a cross-site sign-out; reads stay open", async () => {
      const posts = await fetch(`${own}/api/posts`, {
        method: "POST",
        headers: { cookie, origin: evil, "content-type": "text/plain" },
        body: JSON.stringify({ text: "forged", accountIds: ["00000000-0000-4000-8000-000000000000"] }),
      });
      expect(posts.status).toBe(403);
      expect((await t.ctx.database.pool.query("select count(*)::int as n from posts")).rows[0].n).toBe(0);
      const list = (await (await fetch(`${own}/api/tokens`, { headers: { cookie } })).json()) as { tokens: Array<{ id: string }> };
      const victim = list.tokens[0]!.id;
      expect((await fetch(`${own}/api/tokens/${victim}`, { method: "DELETE", headers: { cookie, "sec-fetch-site": "cross-site" } })).status).toBe(403);
      expect((await fetch(`${own}/api/auth/signout`, { method: "POST", headers: { cookie, origin: evil } })).status).toBe(403);
      const me = await fetch(`${own}/api/me`, { headers: { cookie, origin: evil, "sec-fetch-site": "cross-site" } });
      expect(me.status).toBe(200);
      const still = (await (await fetch(`${own}/api/tokens`, { headers: { cookie } })).json()) as { tokens: Array<{ id: string }> };
      expect(still.tokens.map((x) => x.id)).toContain(victim);
    });

    it("refuses sign-in from another site (login CSRF) and accepts it from the app's own pages", async () => {
      const refused: Array<Record<string, string>> = [{ origin: evil }, { "sec-fetch-site": "cross-site" }, { origin: "null" }];
      for (const headers of refused) {
        const res = await signIn(own, headers);
        expect(res.status, JSON.stringify(headers)).toBe(403);
        expect(res.headers.get("set-cookie")).toBeNull();
      }
      expect((await signIn(own, { origin: own, "sec-fetch-site": "same-origin" })).status).toBe(200);
    });
  });

  describe("served over https (PUBLIC_URL)", () => {
    it("sets a __Host- Secure cookie and checks Origin against PUBLIC_URL", async () => {
      const base = web[1]!.url;
      expect((await signIn(base, { origin: base })).status).toBe(403);
      const res = await signIn(base, { origin: PUBLIC_URL });
      expect(res.status).toBe(200);
      const setCookie = res.headers.get("set-cookie")!;
      expect(setCookie).toMatch(/^__Host-postmore_session=pms_/);
      expect(setCookie).toMatch(/; Secure/);
      expect(setCookie).toMatch(/; Path=\//);
      expect(setCookie).not.toMatch(/Domain=/i);
      const cookie = cookiePair(res);
      expect((await fetch(`${base}/api/me`, { headers: { cookie } })).status).toBe(200);
      // The plain name is not read when the prefixed one is in use.
      expect((await fetch(`${base}/api/me`, { headers: { cookie: cookie.replace("__Host-", "") } })).status).toBe(401);
      const write = (origin: string) =>
        fetch(`${base}/api/tokens`, { method: "POST", headers: { cookie, origin, "content-type": "application/json" }, body: '{"name":"https"}' });
      expect((await write(base)).status).toBe(403);
      expect((await write(PUBLIC_URL)).status).toBe(201);
    });
  });

  describe("malformed cookies", () => {
    const bad = [
      "postmore_session=%E0%A4%A",
      "postmore_session=%",
      'postmore_session="',
      "postmore_session=pms_short",
      `postmore_session=pms_${"A".repeat(43)}`,
      `postmore_session=${"x".repeat(3000)}`,
      "postmore_session",
      "=;=;;postmore_session==",
      "postmore_session=\u00e9\u00e8",
      "a=1; postmore_session=%ZZ; b=2",
    ];
    it("answers 401 JSON, never a 500, on pages' API and on writes", async () => {
      for (const cookie of bad) {
        const me = await fetch(`${own}/api/me`, { headers: { cookie } });
        expect(me.status, cookie).toBe(401);
        expect(((await me.json()) as { error: { code: string } }).error.code).toBe("unauthenticated");
        const write = await fetch(`${own}/api/tokens`, { method: "POST", headers: { cookie, "content-type": "application/json" }, body: '{"name":"x"}' });
        expect(write.status, cookie).toBe(401);
        const page = await fetch(`${own}/posts`, { headers: { cookie }, redirect: "manual" });
        expect(page.status, cookie).toBeLessThan(500);
      }
    });
  });

  describe("security headers", () => {
    it("serves pages with a nonce CSP that forbids framing, and every script carries the nonce", async () => {
      const res = await fetch(`${own}/signin`);
      expect(res.status).toBe(200);
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("frame-ancestors 'none'");
      const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
      expect(nonce).toBeTruthy();
      const html = await res.text();
      const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
      expect(scripts.length).toBeGreaterThan(0);
      for (const s of scripts) expect(s, s).toContain(`nonce="${nonce}"`);
      const again = (await fetch(`${own}/signin`)).headers.get("content-security-policy");
      expect(again).not.toBe(csp); // a fresh nonce per request
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("referrer-policy")).toBe("same-origin");
      expect(res.headers.get("permissions-policy")).toContain("camera=()");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
    });

    it("gives API answers nosniff and a CSP that loads nothing", async () => {
      for (const path of ["/api/health", "/api/me", "/api/nope"]) {
        const res = await fetch(`${own}${path}`);
        expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
        expect(res.headers.get("content-security-policy"), path).toBe("default-src 'none'; frame-ancestors 'none'");
        expect(res.headers.get("referrer-policy"), path).toBe("same-origin");
      }
    });
  });
});
