import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import dns from "node:dns";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { Agent as AtpAgent } from "@atproto/api";
import { chromium, type Browser, type Page } from "playwright-core";
import { Agent, getGlobalDispatcher, setGlobalDispatcher, type Dispatcher } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refreshAccountSessionWithOutcome } from "@/app/lib/accounts/refresh";
import { getBlueskyOAuthClient } from "@/app/lib/api/bluesky/oauth/client";
import { createUser } from "@/app/lib/auth/users";
import { waitFor } from "@/test/helpers/postsApi";
import { freePort } from "@/test/helpers/freePort";
import { startTestPds, type TestAccount, type TestPds } from "@/test/helpers/pds";
import { createTestContext, LOOPBACK_ALLOWLIST, type TestContext } from "@/test/helpers/testContext";
import { ensureBuild, signIn, startWeb, startWorker, waitForHealth, type Proc } from "./servers";

/**
 * Bluesky OAuth end to end, confidential client: PostMore's web served over https on a
 * dotted name (postmore.internal, a self-signed certificate) behind a TLS proxy, a worker
 * process, and the local PDS, whose OAuth provider fetches PostMore's client metadata and
 * keys over that https address. Chromium signs in on the PDS's own pages and approves.
 */

const CHROMIUM = "/usr/bin/chromium";
const HOST = "postmore.internal";
const PASSWORD = "correct horse battery staple";

function makeCertificate(dir: string): { key: string; cert: string } {
  const keyFile = path.join(dir, "key.pem");
  const certFile = path.join(dir, "cert.pem");
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
    "-keyout", keyFile, "-out", certFile, "-subj", `/CN=${HOST}`, "-addext", `subjectAltName=DNS:${HOST}`,
  ], { stdio: "ignore" });
  return { key: fs.readFileSync(keyFile, "utf8"), cert: fs.readFileSync(certFile, "utf8") };
}

/** The name maps to 127.0.0.1 for this process's fetch (the PDS runs here); every other name resolves as usual. */
const lookup: typeof dns.lookup = ((hostname: string, options: dns.LookupOptions, callback: (...args: unknown[]) => void) => {
  if (hostname !== HOST) return dns.lookup(hostname, options, callback as never);
  if (options?.all) callback(null, [{ address: "127.0.0.1", family: 4 }]);
  else callback(null, "127.0.0.1", 4);
}) as typeof dns.lookup;

/** https://postmore.internal:PORT → the web app's plain http port. */
function startTlsProxy(tls: { key: string; cert: string }, targetPort: number, port: number): Promise<https.Server> {
  const server = https.createServer(tls, (req, res) => {
    const upstream = http.request(
      { host: "127.0.0.1", port: targetPort, method: req.method, path: req.url, headers: { ...req.headers, "x-forwarded-proto": "https" } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

describe("Bluesky OAuth (confidential client) in a real browser", () => {
  let dir: string;
  let pds: TestPds;
  let tc: TestContext;
  let bsky: TestAccount;
  let web: Proc;
  let worker: Proc;
  let proxy: https.Server;
  let browser: Browser;
  let page: Page;
  let previousDispatcher: Dispatcher;
  let base: string;
  let accountId: string;
  const email = `oauth-${randomBytes(3).toString("hex")}@example.test`;

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    await ensureBuild((l) => console.log(l));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "postmore-oauth-"));
    const tls = makeCertificate(dir);
    // The PDS (in this process) fetches the client metadata and JWKS with the global fetch.
    previousDispatcher = getGlobalDispatcher();
    setGlobalDispatcher(new Agent({ connect: { ca: [tls.cert], lookup } }));

    pds = await startTestPds();
    bsky = await pds.createAccount("oauth");
    const proxyPort = await freePort();
    base = `https://${HOST}:${proxyPort}`;
    const env: Record<string, string> = {
      PUBLIC_URL: base,
      BLUESKY_OAUTH_ALLOW_HTTP: "true",
      POSTMORE_DATA_DIR: path.join(dir, "data"),
      ATPROTO_PLC_URL: pds.plcUrl,
      ATPROTO_HANDLE_RESOLVER_URL: pds.url,
      ATPROTO_TIMEOUT_MS: "10000",
      OUTBOUND_ALLOWLIST: LOOPBACK_ALLOWLIST,
    };
    // This process's context is the third PostMore process sharing the database (and the key file).
    tc = await createTestContext("postgres", env);
    await createUser(tc.ctx.database.db, { email, password: PASSWORD, role: "admin" });
    const procEnv: NodeJS.ProcessEnv = {
      ...process.env,
      ...env,
      NODE_ENV: "production",
      DATABASE_URL: tc.databaseUrl,
      POSTMORE_SECRET: tc.secret,
      QUEUE_BACKEND: "postgres",
      LOG_LEVEL: "info",
    };
    const webPort = await freePort();
    web = startWeb(webPort, { ...procEnv, PORT: String(webPort) });
    worker = startWorker(procEnv);
    await waitForHealth(`http://127.0.0.1:${webPort}`, web);
    proxy = await startTlsProxy(tls, webPort, proxyPort);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic", "--no-first-run",
        `--host-resolver-rules=MAP ${HOST} 127.0.0.1`, "--ignore-certificate-errors",
      ],
    });
    const context = await browser.newContext({ baseURL: base, ignoreHTTPSErrors: true });
    page = await context.newPage();
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.allSettled([web?.stop(), worker?.stop()]);
    await new Promise((r) => (proxy ? proxy.close(r) : r(undefined)));
    await pds?.close();
    await tc?.close();
    if (previousDispatcher) setGlobalDispatcher(previousDispatcher);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("publishes the client metadata and keys at the PUBLIC_URL", async () => {
    const metadata = (await (await fetch(`${base}/oauth-client-metadata.json`)).json()) as Record<string, unknown>;
    expect(metadata.client_id).toBe(`${base}/oauth-client-metadata.json`);
    expect(metadata.redirect_uris).toEqual([`${base}/api/accounts/bluesky/callback`]);
    expect(metadata.token_endpoint_auth_method).toBe("private_key_jwt");
    const jwks = (await (await fetch(`${base}/oauth/jwks.json`)).json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: "EC", crv: "P-256" });
    expect(jwks.keys[0]).not.toHaveProperty("d");
  });

  it("connects an account by signing in on the PDS and approving PostMore", async () => {
    await signIn(page, email, PASSWORD);
    await page.goto("/accounts");
    const form = page.getByRole("form", { name: "Sign in with Bluesky" });
    await expect.poll(() => form.getByText("no password is given to PostMore").count()).toBe(1);
    await form.getByLabel("Handle").fill(bsky.handle);
    await form.getByRole("button", { name: "Sign in with Bluesky" }).click();

    // The PDS's own sign-in page, then its consent page.
    await page.waitForURL((u) => u.origin === pds.publicUrl, { timeout: 30_000 });
    await page.locator('input[type="password"]').fill(bsky.password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByRole("button", { name: "Authorize", exact: true }).click();

    await page.waitForURL(`${base}/accounts**`, { timeout: 30_000 });
    await page.getByRole("status").filter({ hasText: `@${bsky.handle} is connected.` }).waitFor();
    const accounts = await page.evaluate(async () => (await (await fetch("/api/accounts")).json()) as { accounts: Array<{ id: string; did: string; status: string }> });
    expect(accounts.accounts).toHaveLength(1);
    expect(accounts.accounts[0]).toMatchObject({ did: bsky.did, status: "active" });
    accountId = accounts.accounts[0]!.id;
    // No app password, no bearer tokens on the account: the OAuth session row holds the credentials.
    const sessions = await tc.ctx.database.pool.query("SELECT did FROM bluesky_oauth_sessions");
    expect(sessions.rows).toEqual([{ did: bsky.did }]);
  }, 120_000);

  async function schedulePost(text: string): Promise<string> {
    const res = await page.evaluate(
      async ({ text, accountId }) => {
        const r = await fetch("/api/posts", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ text, accountIds: [accountId], scheduledAt: new Date(Date.now() + 2_000).toISOString() }),
        });
        return { status: r.status, body: (await r.json()) as { post: { id: string } } };
      },
      { text, accountId },
    );
    expect(res.status).toBe(201);
    return res.body.post.id;
  }

  async function waitPublished(postId: string): Promise<void> {
    await waitFor(
      "the post to be published",
      async () => {
        const post = await page.evaluate(async (id) => (await (await fetch(`/api/posts/${id}`)).json()) as { post: { status: string } }, postId);
        if (post.post.status === "failed") throw new Error(`publishing failed:\n${worker.output().slice(-3000)}`);
        return post.post.status === "published";
      },
      90_000,
      300,
    );
  }

  it("publishes a scheduled post through the OAuth session exactly once", async () => {
    const text = `Posted through OAuth ${randomBytes(3).toString("hex")}`;
    await waitPublished(await schedulePost(text));
    const records = (await pds.listPosts(bsky.did)).filter((r) => r.value.text === text);
    expect(records).toHaveLength(1);
  }, 120_000);

  it("refreshes the session from the worker while another process refreshes it too, and keeps publishing", async () => {
    const client = await getBlueskyOAuthClient(tc.ctx);
    // This process holds the session (as the web does after the callback) ...
    const held = await client.restore(bsky.did);
    const lastRefreshed = async () =>
      (await tc.ctx.database.pool.query<{ at: Date; status: string }>("SELECT last_refreshed_at AS at, status FROM social_accounts WHERE id = $1", [accountId])).rows[0]!;
    const before = await lastRefreshed();
    // ... and forces refresh after refresh of it for as long as the worker's forced refresh
    // (the admin's "refresh tokens") is under way. Refresh tokens are single-use: without one
    // lock across the processes, one of them would replay a spent token and the server
    // would revoke the session.
    const queued = await page.evaluate(async (id) => {
      const r = await fetch("/api/admin/refresh-tokens", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ accountId: id }) });
      return r.status;
    }, accountId);
    expect(queued).toBe(202);
    let refreshesHere = 0;
    const deadline = Date.now() + 60_000;
    for (;;) {
      await client.restore(bsky.did, true);
      refreshesHere += 1;
      const now = await lastRefreshed();
      if (now.status !== "active") throw new Error(`account became ${now.status}:\n${worker.output().slice(-3000)}`);
      if ((now.at?.getTime() ?? 0) > (before.at?.getTime() ?? 0)) break;
      if (Date.now() > deadline) throw new Error(`the worker did not refresh the account:\n${worker.output().slice(-3000)}`);
    }
    expect(refreshesHere).toBeGreaterThan(0);
    // The session this process held still works: it reads the tokens the others stored.
    const me = await new AtpAgent(held).com.atproto.server.getSession();
    expect(me.data.did).toBe(bsky.did);

    const text = `Still posting after the refreshes ${randomBytes(3).toString("hex")}`;
    await waitPublished(await schedulePost(text));
    expect((await pds.listPosts(bsky.did)).filter((r) => r.value.text === text)).toHaveLength(1);
    expect((await lastRefreshed()).status).toBe("active");
  }, 180_000);

  it("marks the account for reconnecting when Bluesky refuses the refresh", async () => {
    // The stored session as it is now, then a refresh that spends its refresh token, then the
    // old session put back: the next refresh offers a spent token, which the server refuses.
    const stale = await tc.ctx.database.pool.query<{ value: string }>("SELECT value FROM bluesky_oauth_sessions WHERE did = $1", [bsky.did]);
    await (await getBlueskyOAuthClient(tc.ctx)).restore(bsky.did, true);
    await tc.ctx.database.pool.query("UPDATE bluesky_oauth_sessions SET value = $2 WHERE did = $1", [bsky.did, stale.rows[0]!.value]);
    // The refresh path every process runs (the worker's job calls the same function; an admin
    // trigger here would be folded into the one queued a few seconds ago by the test above).
    await expect(refreshAccountSessionWithOutcome(tc.ctx, accountId, { force: true })).rejects.toThrow(/reconnect the account/);
    const { account } = await page.evaluate(
      async (id) => (await (await fetch(`/api/accounts/${id}`)).json()) as { account: { status: string; lastError: string | null } },
      accountId,
    );
    expect(account.status).toBe("needs_reauth");
    expect(account.lastError).toMatch(/reconnect the account/);
  }, 120_000);
});
