import { createHash, randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MastodonDouble } from "./mastodonDouble";

/** The double itself, spoken to with plain fetch (not through the module it tests). */

let clock: number;
let double: MastodonDouble;

beforeEach(async () => {
  clock = Date.parse("2026-03-01T12:00:00Z");
  double = await new MastodonDouble({ now: () => clock }).start();
});

afterEach(async () => {
  await double.close();
});

async function call(method: string, path: string, init: { token?: string; json?: unknown; form?: FormData; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  let body: BodyInit | undefined;
  if (init.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(init.json);
  } else if (init.form) body = init.form;
  const res = await fetch(`${double.url}${path}`, { method, headers, body, redirect: "manual" });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
}

function png(): Blob {
  return new Blob([Buffer.from("89504e470d0a1a0a0000000d49484452", "hex")], { type: "image/png" });
}

describe("OAuth", () => {
  it("registers an app, authorizes with PKCE S256, exchanges the code once, and revokes the token", async () => {
    const redirectUri = "http://127.0.0.1:9/callback";
    const app = await call("POST", "/api/v1/apps", { json: { client_name: "PostMore", redirect_uris: redirectUri, scopes: "read write" } });
    expect(app.status).toBe(200);
    const clientId = app.body!.client_id as string;
    const clientSecret = app.body!.client_secret as string;

    const verifier = randomBytes(32).toString("base64url");
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const q = new URLSearchParams({ client_id: clientId, redirect_uri: redirectUri, response_type: "code", scope: "read write", state: "st-1", code_challenge: challenge, code_challenge_method: "S256" });
    const auth = await call("GET", `/oauth/authorize?${q}`);
    expect(auth.status).toBe(302);
    const location = new URL(auth.headers.get("location")!);
    expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
    expect(location.searchParams.get("state")).toBe("st-1");
    const code = location.searchParams.get("code")!;

    const exchange = (codeVerifier: string) =>
      call("POST", "/oauth/token", { json: { grant_type: "authorization_code", code, client_id: clientId, client_secret: clientSecret, redirect_uri: redirectUri, code_verifier: codeVerifier } });
    const wrong = await exchange(randomBytes(32).toString("base64url"));
    expect(wrong.status).toBe(400);
    expect(wrong.body!.error).toBe("invalid_grant");
    const ok = await exchange(verifier);
    expect(ok.status).toBe(200);
    const token = ok.body!.access_token as string;
    expect((await exchange(verifier)).status).toBe(400); // a code works once

    const me = await call("GET", "/api/v1/accounts/verify_credentials", { token });
    expect(me.status).toBe(200);
    expect(me.body!.username).toBe("alice");

    const revoke = await call("POST", "/oauth/revoke", { json: { client_id: clientId, client_secret: clientSecret, token } });
    expect(revoke.status).toBe(200);
    const after = await call("GET", "/api/v1/accounts/verify_credentials", { token });
    expect(after.status).toBe(401);
    expect(after.body!.error).toMatch(/revoked/);
  });

  it("refuses a redirect URI the app did not register", async () => {
    const app = await call("POST", "/api/v1/apps", { json: { client_name: "PostMore", redirect_uris: "http://127.0.0.1:9/cb", scopes: "read" } });
    const q = new URLSearchParams({ client_id: app.body!.client_id as string, redirect_uri: "http://evil.test/cb", response_type: "code" });
    const auth = await call("GET", `/oauth/authorize?${q}`);
    expect(auth.status).toBe(400);
    expect(auth.headers.get("location")).toBeNull();
  });
});

describe("instance and media", () => {
  it("publishes its limits in /api/v2/instance", async () => {
    const res = await call("GET", "/api/v2/instance");
    expect(res.status).toBe(200);
    const config = res.body!.configuration as { statuses: Record<string, number>; media_attachments: Record<string, unknown> };
    expect(config.statuses).toMatchObject({ max_characters: 500, characters_reserved_per_url: 23, max_media_attachments: 4 });
    expect(config.media_attachments.description_limit).toBe(1500);
  });

  it("answers 202 for an upload, 206 while processing, then 200 with the alt text; unprocessed media cannot be attached", async () => {
    const token = double.issueToken();
    const form = new FormData();
    form.set("file", png(), "a.png");
    form.set("description", "a red square");
    const upload = await call("POST", "/api/v2/media", { token, form });
    expect(upload.status).toBe(202);
    expect(upload.body!.url).toBeNull();
    const id = upload.body!.id as string;

    const early = await call("POST", "/api/v1/statuses", { token, json: { status: "with picture", media_ids: [id] } });
    expect(early.status).toBe(422);
    expect(early.body!.error).toMatch(/finished processing/);

    expect((await call("GET", `/api/v1/media/${id}`, { token })).status).toBe(206);
    expect((await call("GET", `/api/v1/media/${id}`, { token })).status).toBe(206);
    const done = await call("GET", `/api/v1/media/${id}`, { token });
    expect(done.status).toBe(200);
    expect(done.body!.url).toMatch(/^http/);
    expect(done.body!.description).toBe("a red square");

    const posted = await call("POST", "/api/v1/statuses", { token, json: { status: "with picture", media_ids: [id] } });
    expect(posted.status).toBe(200);
    expect((posted.body!.media_attachments as Array<{ description: string }>)[0]!.description).toBe("a red square");
  });
});

describe("statuses", () => {
  it("keeps an Idempotency-Key for one hour, then forgets it", async () => {
    const token = double.issueToken();
    const post = () => call("POST", "/api/v1/statuses", { token, json: { status: "hello" }, headers: { "idempotency-key": "k-1" } });
    const first = await post();
    clock += 59 * 60 * 1000;
    const again = await post();
    expect(again.body!.id).toBe(first.body!.id);
    expect(double.statusesOf()).toHaveLength(1);
    clock += 2 * 60 * 1000;
    const late = await post();
    expect(late.body!.id).not.toBe(first.body!.id);
    expect(double.statusesOf()).toHaveLength(2);
  });

  it("counts every URL as 23 characters and refuses text over the limit with 422", async () => {
    const token = double.issueToken();
    const url = `https://example.com/${"p".repeat(200)}`;
    const fits = await call("POST", "/api/v1/statuses", { token, json: { status: `${"a".repeat(476)} ${url}` } });
    expect(fits.status).toBe(200);
    const over = await call("POST", "/api/v1/statuses", { token, json: { status: `${"a".repeat(477)} ${url}` } });
    expect(over.status).toBe(422);
    expect(over.body!.error).toMatch(/character limit of 500/);
  });

  it("threads replies and lists an account's statuses newest first", async () => {
    const token = double.issueToken();
    const root = await call("POST", "/api/v1/statuses", { token, json: { status: "one", visibility: "unlisted", spoiler_text: "cw", language: "en" } });
    const reply = await call("POST", "/api/v1/statuses", { token, json: { status: "two", in_reply_to_id: root.body!.id } });
    expect(reply.body!.in_reply_to_id).toBe(root.body!.id);
    expect(root.body).toMatchObject({ visibility: "unlisted", spoiler_text: "cw", sensitive: true, language: "en" });
    const list = await fetch(`${double.url}/api/v1/accounts/${double.user.id}/statuses?limit=5`, { headers: { authorization: `Bearer ${token}` } });
    const ids = ((await list.json()) as Array<{ id: string }>).map((s) => s.id);
    expect(ids).toEqual([reply.body!.id, root.body!.id]);
    expect((await call("GET", `/api/v1/statuses/${root.body!.id}`)).status).toBe(200);
    expect((await call("GET", "/api/v1/statuses/1")).status).toBe(404);
  });
});

describe("rate limits and faults", () => {
  it("sends rate-limit headers that count down, and a 429 fault carries its reset time", async () => {
    const token = double.issueToken();
    const a = await call("GET", "/api/v1/accounts/verify_credentials", { token });
    const b = await call("GET", "/api/v1/accounts/verify_credentials", { token });
    expect(a.headers.get("x-ratelimit-limit")).toBe("300");
    expect(Number(b.headers.get("x-ratelimit-remaining"))).toBe(Number(a.headers.get("x-ratelimit-remaining")) - 1);
    double.failNext("POST /api/v1/statuses", { status: 429, resetInSeconds: 90 });
    const limited = await call("POST", "/api/v1/statuses", { token, json: { status: "x" } });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(Date.parse(limited.headers.get("x-ratelimit-reset")!)).toBe(clock + 90_000);
    expect(double.statusesOf()).toHaveLength(0);
  });

  it("answers 429 once a token has used its requests for the five-minute window, and lets it go on in the next", async () => {
    await double.close();
    double = await new MastodonDouble({ now: () => clock, rateLimit: 2 }).start();
    const token = double.issueToken();
    const me = () => call("GET", "/api/v1/accounts/verify_credentials", { token });
    expect((await me()).status).toBe(200);
    expect((await me()).headers.get("x-ratelimit-remaining")).toBe("0");
    const limited = await me();
    expect(limited.status).toBe(429);
    const reset = Date.parse(limited.headers.get("x-ratelimit-reset")!);
    expect(reset).toBeGreaterThan(clock);
    clock = reset;
    expect((await me()).status).toBe(200);
  });

  it("answers injected errors without committing, and a lost response commits but never answers", async () => {
    const token = double.issueToken();
    double.failNext("POST /api/v1/statuses", { status: 503 }, 2);
    expect((await call("POST", "/api/v1/statuses", { token, json: { status: "x" } })).status).toBe(503);
    expect((await call("POST", "/api/v1/statuses", { token, json: { status: "x" } })).status).toBe(503);
    expect(double.statusesOf()).toHaveLength(0);

    double.failNext("POST /api/v1/statuses", { status: "lost" });
    await expect(call("POST", "/api/v1/statuses", { token, json: { status: "lost one" } })).rejects.toThrow();
    expect(double.statusesOf().map((s) => s.text)).toEqual(["lost one"]);
    expect((await call("POST", "/api/v1/statuses", { token, json: { status: "next" } })).status).toBe(200);
  });

  it("catches an answer that breaks the API schema (the double cannot drift)", async () => {
    const token = double.issueToken();
    double.corruptNext("POST /api/v1/statuses", (body) => {
      delete body.account;
    });
    const res = await call("POST", "/api/v1/statuses", { token, json: { status: "x" } });
    expect(res.status).toBe(500);
    expect(double.violations.join()).toMatch(/must have required property 'account'/);
    await expect(double.close()).rejects.toThrow(/Mastodon API schema/);
    double = await new MastodonDouble().start(); // afterEach closes a clean one
  });
});
