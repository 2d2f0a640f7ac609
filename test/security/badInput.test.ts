import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryPlatform, insertMemoryAccount } from "@/test/helpers/memoryPlatform";
import { createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";
import { signIn } from "@/app/lib/auth/sessions";
import { cookieHeaders, hostileHeaders, mutated, pathIds, payloads, queryStrings, rawBodies, weirdValue } from "./malformed";
import { discoverRoutes, loadRoute } from "./routes";

/**
 * Every API endpoint × ≥ 1000 generated malformed bodies, query strings and path ids:
 * the answer is always a 4xx JSON error (or a harmless 2xx for reads that ignore junk
 * query parameters), never a 5xx, and the database is unchanged afterwards.
 */
const RUNS_PER_KIND = 300; // × 3 kinds (body, query, path) + half for headers = 1050 ≥ 1000 per endpoint

interface Endpoint {
  method: string;
  pattern: string;
  /** A body that would be valid: the generators break it. */
  template?: Record<string, unknown>;
  wrong?: Record<string, fc.Arbitrary<unknown>>;
  /** Fields whose absence makes the body invalid. */
  required?: string[];
  /** Non-JSON routes: the raw bodies to try besides the generic ones. */
  bodies?: fc.Arbitrary<string | Uint8Array>;
}

// branch media: image-shaped junk for POST /api/media (magic bytes, then garbage or nothing; one over the cap).
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const imageJunk: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 512 }).map((b) => Uint8Array.from([...PNG_MAGIC, ...b])),
  fc.uint8Array({ maxLength: 512 }).map((b) => Uint8Array.from([0xff, 0xd8, 0xff, ...b])),
  fc.uint8Array({ maxLength: 512 }).map((b) => Uint8Array.from([...Buffer.from("GIF89a"), ...b])),
  fc.uint8Array({ maxLength: 512 }).map((b) => Uint8Array.from([...Buffer.from("RIFF\0\0\0\0WEBP"), ...b])),
  fc.constant(Uint8Array.from([...PNG_MAGIC, ...new Uint8Array(1_100_000)])),
);

const notUuid = fc.oneof(payloads, fc.string({ maxLength: 40 }), fc.integer(), fc.constant(null));
const badDate = fc.oneof(payloads, fc.date({ noInvalidDate: true }).map((d) => d.toISOString().replace("Z", "")), fc.integer());

/** Lone surrogates cannot be percent-encoded; the handler gets the raw id through params anyway. */
function safeSegment(id: string): string {
  try {
    return encodeURIComponent(id);
  } catch {
    return "unencodable";
  }
}

describe("bad input never causes a 5xx or a change", () => {
  let t: TestContext;
  let token: string;
  let accountId: string;
  let postId: string;
  let restore: () => void;
  /**
   * A live session of another user, sent only with a foreign Origin, so every write is
   * refused (the admin's own requests, e.g. sign out everywhere, must not end it).
   */
  let sessionCookie: string;

  beforeAll(async () => {
    t = await createTestContext("postgres");
    restore = createMemoryPlatform().register(t.ctx);
    const admin = await createTestUser(t.ctx, "admin");
    token = admin.token;
    const other = await createTestUser(t.ctx, "user");
    sessionCookie = `postmore_session=${(await signIn(t.ctx, { email: other.user.email, password: "correct horse battery", address: "fuzz" })).sessionToken}`;
    accountId = (await insertMemoryAccount(t.ctx, admin.user.id)).id;
    const { POST } = await loadRoute("/api/posts");
    const res = await POST!(
      new Request("http://localhost/api/posts", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ text: "keep me", accountIds: [accountId], scheduledAt: new Date(Date.now() + 864e5).toISOString() }),
      }),
      { params: Promise.resolve({}) },
    );
    postId = ((await res.json()) as { post: { id: string } }).post.id;
  });
  afterAll(async () => {
    restore();
    await t.close();
  });

  const endpoints = (): Endpoint[] => [
    {
      method: "POST",
      pattern: "/api/accounts",
      template: { platform: "bluesky", identifier: "alice.test", appPassword: "abcd-efgh-ijkl-mnop", service: "http://127.0.0.1:9" },
      required: ["platform", "identifier", "appPassword"],
      wrong: { platform: weirdValue, identifier: fc.oneof(fc.constant(""), fc.constant("x".repeat(600)), fc.integer()), appPassword: fc.oneof(fc.constant(""), fc.integer(), fc.constant(null)) },
    },
    {
      method: "POST",
      pattern: "/api/posts",
      template: { text: "hello", accountIds: [accountId], scheduledAt: "2030-01-01T09:00:00+01:00", timeZone: "Europe/Berlin" },
      required: ["text", "accountIds"],
      wrong: {
        text: fc.oneof(fc.constant(""), fc.constant("x".repeat(301)), fc.constant("é".repeat(1600)), fc.integer(), fc.constant(null)),
        accountIds: fc.oneof(fc.constant([]), fc.array(notUuid, { minLength: 1, maxLength: 3 }), fc.uuid().map((u) => [u]), weirdValue),
        scheduledAt: badDate,
        timeZone: fc.oneof(payloads, fc.integer()),
        images: fc.oneof(weirdValue, fc.constant([{ data: "!!", mimeType: "text/html", alt: "" }])),
        thread: fc.oneof(weirdValue, fc.constant([{ text: "" }])),
        // bskyrich: rich options.
        linkCard: fc.oneof(fc.constant("yes"), fc.integer(), fc.constant(null), fc.constant([true])),
        quote: fc.oneof(fc.integer(), fc.constant(null), fc.constant(""), fc.constant("https://bsky.app/profile/x/post/"), fc.constant("at://did:plc:x/app.bsky.feed.like/1")),
        labels: fc.oneof(fc.integer(), fc.constant("porn"), fc.constant(["spam"]), fc.constant(["porn", "porn"])),
        replyControl: fc.oneof(fc.integer(), fc.constant("some"), fc.constant(null), fc.constant({ allow: [] }), fc.constant({ allow: ["everyone"] })),
        disableQuotes: fc.oneof(fc.constant("true"), fc.integer(), fc.constant(null)),
      },
    },
    // bskyrich: scheduled reposts.
    {
      method: "POST",
      pattern: "/api/reposts",
      template: { accountIds: [accountId], subject: "at://did:plc:aaaaaaaaaaaaaaaaaaaaaaaa/app.bsky.feed.post/3jzfcijpj2z2a", scheduledAt: "2030-01-01T09:00:00+01:00" },
      required: ["accountIds", "subject"],
      wrong: { accountIds: fc.oneof(fc.constant([]), fc.array(notUuid, { minLength: 1, maxLength: 3 }), weirdValue), subject: fc.oneof(fc.integer(), fc.constant(null), fc.constant("https://example.com/x"), payloads), scheduledAt: badDate },
    },
    {
      method: "PATCH",
      pattern: "/api/posts/[id]",
      template: { text: "edited", scheduledAt: "2030-01-01T09:00:00Z" },
      wrong: { text: fc.oneof(fc.constant(""), fc.constant("y".repeat(400)), fc.integer()), scheduledAt: badDate, timeZone: payloads },
    },
    {
      method: "POST",
      pattern: "/api/auth/signin",
      template: { email: "nobody@example.test", password: "wrong wrong" },
      required: ["email", "password"],
      wrong: { email: weirdValue, password: weirdValue },
    },
    {
      method: "POST",
      pattern: "/api/tokens",
      template: { name: "fuzz", expiresAt: "2030-01-01T00:00:00Z" },
      required: ["name"],
      wrong: { name: fc.oneof(fc.constant(""), fc.constant("   "), fc.constant("x".repeat(101)), fc.integer(), fc.constant(null)), expiresAt: badDate },
    },
    {
      method: "POST",
      pattern: "/api/auth/password",
      // Wrong current password (403) when the shape is right: nothing changes either way.
      template: { currentPassword: "not the password", newPassword: "a new long password" },
      required: ["currentPassword", "newPassword"],
      wrong: { currentPassword: fc.oneof(fc.constant(""), fc.integer(), fc.constant(null)), newPassword: fc.oneof(fc.constant("short"), fc.integer(), fc.constant("x".repeat(2000))) },
    },
    // Branch idem: bulk import (JSON form; the CSV form gets the raw bodies).
    {
      method: "POST",
      pattern: "/api/posts/import",
      template: { posts: [{ text: "imported", scheduledAt: "2030-01-01 09:00", timeZone: "Europe/Berlin", accounts: [accountId] }] },
      required: ["posts"],
      wrong: {
        posts: fc.oneof(
          weirdValue,
          fc.constant([]),
          fc.constant([{ text: "x", scheduledAt: "2001-01-01T00:00:00Z", accounts: [accountId] }]),
          fc.constant([{ text: "x", scheduledAt: "2030-01-01 09:00", accounts: [accountId] }]),
          fc.array(fc.record({ text: weirdValue, scheduledAt: badDate, accounts: fc.oneof(weirdValue, fc.constant("nobody.test")) }), { minLength: 1, maxLength: 3 }),
        ),
      },
    },
    // branch oauth: a handle that resolves nowhere without asking the network (no dot).
    {
      method: "POST",
      pattern: "/api/accounts/bluesky/authorize",
      template: { handle: "nobody" },
      required: ["handle"],
      wrong: { handle: fc.oneof(fc.constant(""), fc.constant("   "), fc.constant("x".repeat(300)), fc.integer(), fc.constant(null)) },
    },
    { method: "POST", pattern: "/api/admin/refresh-tokens", template: { accountId: "00000000-0000-4000-8000-000000000000" }, wrong: { accountId: notUuid } },
    {
      method: "POST",
      pattern: "/api/admin/jobs/retry",
      template: { queue: "posts", jobId: "nope" },
      required: ["queue", "jobId"],
      wrong: { queue: weirdValue, jobId: weirdValue },
    },
    // branch webhooks: a valid template would create an endpoint; every mutation must not (the body is strict).
    {
      method: "POST",
      pattern: "/api/webhooks",
      template: { url: "https://example.com/hook", events: ["post.published", "post.failed"] },
      required: ["url", "events"],
      wrong: {
        url: fc.oneof(payloads, fc.constantFrom("ftp://example.com/h", "http://10.0.0.1/h", "http://169.254.169.254/", "https://u:p@example.com/"), fc.integer()),
        events: fc.oneof(fc.constant([]), fc.constant(["post.deleted"]), weirdValue),
      },
    },
    { method: "POST", pattern: "/api/media", bodies: imageJunk },
    // branch mastodon: the template names a documentation address (192.0.2.0/24) over http, refused before any connection.
    {
      method: "POST",
      pattern: "/api/accounts/mastodon/authorize",
      template: { instance: "http://192.0.2.1" },
      required: ["instance"],
      wrong: { instance: fc.oneof(fc.constant(""), fc.constant("x".repeat(3000)), fc.integer(), fc.constant("ftp://x"), fc.constant(null)) },
    },
  ];

  async function snapshot(): Promise<Record<string, string>> {
    const tables = ["users", "sessions", "api_tokens", "social_accounts", "posts", "deliveries", "delivery_attempts",
      "webhooks", "webhook_events", "webhook_deliveries", "webhook_attempts", "media"];
    const out: Record<string, string> = {};
    for (const table of tables) {
      const r = await t.ctx.database.pool.query(
        // Last-use times move by design (a token or session in use); everything else must not.
        `select count(*)::int as n, md5(coalesce(string_agg(r::text, ',' order by r::text), '')) as h
           from (select to_jsonb(x) - 'last_used_at' - 'last_seen_at' as r from ${table} x) y`,
      );
      out[table] = `${r.rows[0].n}:${r.rows[0].h}`;
    }
    return out;
  }

  async function send(
    method: string,
    pattern: string,
    opts: { id?: string; query?: string; body?: string | Uint8Array; headers?: Array<[string, string]> },
  ) {
    const handler = (await loadRoute(pattern))[method]!;
    const path = pattern.replace("[id]", safeSegment(opts.id ?? "")).replace("[...path]", "zzz");
    const headers = new Headers(opts.headers ? undefined : { authorization: `Bearer ${token}`, "content-type": "application/json" });
    for (const [k, v] of opts.headers ?? []) headers.append(k, v);
    const req = new Request(`http://localhost${path}${opts.query ? `?${opts.query}` : ""}`, {
      method,
      headers,
      body: method === "GET" || method === "DELETE" ? undefined : (opts.body as BodyInit | undefined),
    });
    const params = pattern.includes("[id]") ? { id: opts.id ?? "" } : pattern.includes("[...path]") ? { path: ["zzz"] } : {};
    const res = await handler(req, { params: Promise.resolve(params) });
    const text = await res.text();
    return { status: res.status, text };
  }

  function expectSafe(r: { status: number; text: string }, what: string) {
    expect(r.status, `${what} → ${r.status} ${r.text.slice(0, 300)}`).toBeLessThan(500);
    if (r.status >= 400) {
      const body = JSON.parse(r.text) as { jsonrpc?: unknown; error?: { code?: unknown; message?: unknown } };
      // /api/mcp speaks JSON-RPC: what its transport refuses is a JSON-RPC error (numeric code);
      // everything else, and its own auth and body checks, answer our error shape.
      const jsonRpc = what.includes("/api/mcp") && body.jsonrpc === "2.0";
      expect(typeof body.error?.code, what).toBe(jsonRpc ? "number" : "string");
      expect(typeof body.error?.message, what).toBe("string");
    }
  }

  it("for every endpoint: malformed bodies, query strings and path ids", async () => {
    const before = await snapshot();
    const specs = new Map(endpoints().map((e) => [`${e.method} ${e.pattern}`, e]));
    const all = discoverRoutes().flatMap((r) => r.methods.map((m) => ({ method: m, pattern: r.pattern })));
    // Signing out and deleting are exercised with junk ids only (a valid id would change data by design).
    const counts: Record<string, number> = {};
    let last = before;
    const changedBy: string[] = [];
    for (const { method, pattern } of all) {
      const key = `${method} ${pattern}`;
      const spec = specs.get(key);
      const destructiveWithRealId = method === "DELETE";
      const takesBody = method === "POST" || method === "PATCH" || method === "PUT";
      const id = () => (pattern.includes("[id]") ? (pattern.startsWith("/api/posts") ? postId : accountId) : undefined);
      counts[key] = 0;

      const bodyArb: fc.Arbitrary<string | Uint8Array> = spec?.template
        ? fc.oneof(mutated(spec.template, spec.wrong ?? {}, spec.required ?? []).map((v) => JSON.stringify(v)), rawBodies)
        : spec?.bodies
          ? fc.oneof(spec.bodies, rawBodies)
          : rawBodies;
      await fc.assert(
        fc.asyncProperty(bodyArb, async (body) => {
          counts[key]!++;
          const useId = destructiveWithRealId ? undefined : id();
          expectSafe(await send(method, pattern, { id: useId ?? "not-an-id", body: takesBody ? body : undefined }), `${key} body`);
        }),
        { numRuns: RUNS_PER_KIND },
      );
      await fc.assert(
        fc.asyncProperty(queryStrings, async (query) => {
          counts[key]!++;
          const useId = destructiveWithRealId ? "00000000-0000-4000-8000-000000000000" : id();
          const body = spec?.template ? JSON.stringify({ ...spec.template, ...{ [Object.keys(spec.wrong ?? { x: 0 })[0]!]: 12 } }) : "{}";
          expectSafe(await send(method, pattern, { id: useId, query, body: takesBody ? body : undefined }), `${key} query`);
        }),
        { numRuns: RUNS_PER_KIND },
      );
      await fc.assert(
        fc.asyncProperty(pathIds, fc.oneof(weirdValue.map((v) => JSON.stringify(v) ?? "{}"), rawBodies), async (pid, body) => {
          counts[key]!++;
          expectSafe(await send(method, pattern, { id: pid, body: takesBody ? body : undefined }), `${key} path`);
        }),
        { numRuns: RUNS_PER_KIND },
      );
      // Cookies and headers: malformed session cookies, or the admin's real session from a
      // foreign origin, with hostile Authorization, Content-Type, Origin, Sec-Fetch-Site...
      await fc.assert(
        fc.asyncProperty(fc.oneof(cookieHeaders, fc.constant("")), hostileHeaders, fc.boolean(), async (cookie, extra, real) => {
          counts[key]!++;
          const headers: Array<[string, string]> = [...extra];
          if (real) headers.push(["cookie", sessionCookie], ["origin", "https://evil.example"]);
          else if (cookie) headers.push(["cookie", cookie]);
          const useId = destructiveWithRealId ? "00000000-0000-4000-8000-000000000000" : id();
          const body = spec?.template ? JSON.stringify(spec.template) : "{}";
          expectSafe(await send(method, pattern, { id: useId, body: takesBody ? body : undefined, headers }), `${key} headers`);
        }),
        { numRuns: RUNS_PER_KIND / 2 },
      );
      const now = await snapshot();
      if (JSON.stringify(now) !== JSON.stringify(last)) changedBy.push(key);
      last = now;
    }
    expect(changedBy, "endpoints that changed the database").toEqual([]);
    expect(await snapshot()).toEqual(before);
    for (const [key, n] of Object.entries(counts)) expect(n, key).toBeGreaterThanOrEqual(1000);
    console.log(`bad input: ${Object.keys(counts).length} endpoints × ≥${Math.min(...Object.values(counts))} inputs (bodies, queries, ids, cookies, headers), 0 5xx, database unchanged`);
  }, 1_200_000);
});
