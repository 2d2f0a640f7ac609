import { randomBytes } from "node:crypto";
import { AtpBaseClient } from "@atproto/api";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { GET as getAccountRoute } from "@/app/api/accounts/[id]/route";
import { connectAccount } from "@/app/lib/accounts/connectAccount";
import { sealCredentials } from "@/app/lib/accounts/publicAccount";
import { ensureFreshSession, refreshAccountSession } from "@/app/lib/accounts/refresh";
import { loadPlatformAccount } from "@/app/lib/accounts/service";
import { ReauthRequiredError, TransientPlatformError } from "@/app/lib/api/platformErrors";
import type { AppContext } from "@/app/lib/context";
import { meterRefreshes, type RefreshMeter } from "@/test/helpers/countingPlatform";
import { freePort } from "@/test/helpers/freePort";
import { startTestPds, type TestPds } from "@/test/helpers/pds";
import { BACKENDS } from "@/test/helpers/queueBackends";
import { createPeerContext, createTestContext, createTestUser, LOOPBACK_ALLOWLIST, type TestContext } from "@/test/helpers/testContext";

let pds: TestPds;
beforeAll(async () => {
  pds = await startTestPds();
});
afterAll(async () => {
  await pds?.close();
});

/** Proves the stored access token works: a real write on the PDS with it. */
async function postWith(service: string, did: string, accessJwt: string): Promise<string> {
  const client = new AtpBaseClient({ service, headers: { authorization: `Bearer ${accessJwt}` } });
  const res = await client.com.atproto.repo.createRecord({
    repo: did,
    collection: "app.bsky.feed.post",
    record: { $type: "app.bsky.feed.post", text: `still works ${randomBytes(3).toString("hex")}`, createdAt: new Date().toISOString() },
  });
  return res.data.uri;
}

describe.each(BACKENDS)("token refresh of one account (queue backend %s)", (kind) => {
  let t: TestContext;
  let other: AppContext;
  let userId: string;
  let userToken: string;
  let meter: RefreshMeter | undefined;

  const connect = async () => {
    const acct = await pds.createAccount("rf");
    const { account } = await connectAccount(t.ctx, userId, {
      platform: "bluesky",
      identifier: acct.handle,
      appPassword: acct.appPassword,
      service: pds.url,
    });
    return { id: account.id, acct };
  };

  beforeAll(async () => {
    const env = { ATPROTO_PLC_URL: pds.plcUrl, ATPROTO_HANDLE_RESOLVER_URL: pds.url, ATPROTO_TIMEOUT_MS: "3000" };
    t = await createTestContext(kind, env);
    // Another process on the same database (the post worker on another machine, say).
    other = createPeerContext(t, { OUTBOUND_ALLOWLIST: LOOPBACK_ALLOWLIST, ...env });
    const user = await createTestUser(t.ctx);
    userId = user.user.id;
    userToken = user.token;
  });
  afterEach(() => {
    meter?.restore();
    meter = undefined;
  });
  afterAll(async () => {
    await other?.database.close();
    await t?.close();
  });

  it("rotates the tokens, stores the new refresh JWT, and the account still posts", async () => {
    const { id, acct } = await connect();
    const before = await loadPlatformAccount(t.ctx, id);
    const refreshed = await refreshAccountSession(t.ctx, id, { force: true });
    const stored = await loadPlatformAccount(t.ctx, id);
    expect(stored.credentials.refreshJwt).not.toBe(before.credentials.refreshJwt);
    // (The access JWT may come out identical: issued in the same second with the same claims.)
    expect(refreshed.credentials).toEqual(stored.credentials);
    expect(stored.credentials.appPassword).toBe(acct.appPassword);
    expect(stored.lastRefreshedAt).not.toBeNull();
    expect(stored.status).toBe("active");
    expect(await postWith(pds.url, acct.did, stored.credentials.accessJwt)).toMatch(/^at:\/\//);
    // The stored refresh token is the live one: refreshing again with it works.
    await expect(refreshAccountSession(t.ctx, id, { force: true })).resolves.toMatchObject({ status: "active" });
  });

  it("50 concurrent refreshes from two processes reach the PDS once, and the account stays usable", async () => {
    const { id, acct } = await connect();
    meter = meterRefreshes([t.ctx, other], { delayMs: 100 });
    const before = await loadPlatformAccount(t.ctx, id);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => refreshAccountSession(i % 2 ? other : t.ctx, id)),
    );
    expect(meter.calls).toBe(1);
    expect(meter.peakPerAccount).toBe(1);
    const stored = await loadPlatformAccount(t.ctx, id);
    expect(stored.credentials.refreshJwt).not.toBe(before.credentials.refreshJwt);
    // Everyone got the one fresh set of tokens, not a stale one.
    for (const r of results) expect(r.credentials.refreshJwt).toBe(stored.credentials.refreshJwt);
    expect(await postWith(pds.url, acct.did, stored.credentials.accessJwt)).toMatch(/^at:\/\//);
  });

  it("ensureFreshSession refreshes only when the access token expires within 5 minutes", async () => {
    const { id } = await connect();
    meter = meterRefreshes([t.ctx, other]);
    await ensureFreshSession(t.ctx, id);
    expect(meter.calls).toBe(0);
    await t.ctx.database.pool.query("UPDATE social_accounts SET access_expires_at = now() + interval '2 minutes' WHERE id = $1", [id]);
    const results = await Promise.all([ensureFreshSession(t.ctx, id), ensureFreshSession(other, id), ensureFreshSession(t.ctx, id)]);
    expect(meter.calls).toBe(1);
    const stored = await loadPlatformAccount(t.ctx, id);
    expect(stored.accessExpiresAt!.getTime()).toBeGreaterThan(Date.now() + 60 * 60_000);
    for (const r of results) expect(r.credentials.accessJwt).toBe(stored.credentials.accessJwt);
  });

  it("a refused refresh token falls back to the stored app password", async () => {
    const { id, acct } = await connect();
    const current = await loadPlatformAccount(t.ctx, id);
    const broken = sealCredentials(t.ctx.box, { ...current.credentials, refreshJwt: "not-a-token" }, id);
    await t.ctx.database.pool.query("UPDATE social_accounts SET credentials = $2 WHERE id = $1", [id, broken]);
    await refreshAccountSession(t.ctx, id, { force: true });
    const stored = await loadPlatformAccount(t.ctx, id);
    expect(stored.status).toBe("active");
    expect(stored.credentials.refreshJwt).not.toBe("not-a-token");
    expect(await postWith(pds.url, acct.did, stored.credentials.accessJwt)).toMatch(/^at:\/\//);
  });

  it("revoked app password and refused refresh token → needs_reauth with the reason, visible in GET /api/accounts/:id", async () => {
    const { id, acct } = await connect();
    await pds.revokeAppPassword(acct, acct.appPasswordName);
    const current = await loadPlatformAccount(t.ctx, id);
    const broken = sealCredentials(t.ctx.box, { ...current.credentials, refreshJwt: "revoked" }, id);
    await t.ctx.database.pool.query("UPDATE social_accounts SET credentials = $2 WHERE id = $1", [id, broken]);
    await expect(refreshAccountSession(t.ctx, id, { force: true })).rejects.toBeInstanceOf(ReauthRequiredError);

    const res = await getAccountRoute(
      new Request(`http://x/api/accounts/${id}`, { headers: { authorization: `Bearer ${userToken}` } }),
      { params: Promise.resolve({ id }) },
    );
    const { account } = (await res.json()) as { account: { status: string; lastError: string; lastErrorAt: string } };
    expect(account.status).toBe("needs_reauth");
    expect(account.lastError).toMatch(/\w/);
    expect(Date.parse(account.lastErrorAt)).toBeGreaterThan(Date.now() - 60_000);
    // No more calls to the platform for it until a person reconnects.
    meter = meterRefreshes([t.ctx, other]);
    await expect(refreshAccountSession(t.ctx, id)).rejects.toBeInstanceOf(ReauthRequiredError);
    await expect(ensureFreshSession(t.ctx, id)).rejects.toBeInstanceOf(ReauthRequiredError);
    expect(meter.calls).toBe(0);
  });

  it("an unreachable PDS is a transient failure: rethrown for a retry, the account stays active", async () => {
    const { id } = await connect();
    const closed = `http://127.0.0.1:${await freePort()}`;
    await t.ctx.database.pool.query("UPDATE social_accounts SET instance_url = $2 WHERE id = $1", [id, closed]);
    const before = await loadPlatformAccount(t.ctx, id);
    await expect(refreshAccountSession(t.ctx, id, { force: true })).rejects.toBeInstanceOf(TransientPlatformError);
    const after = await loadPlatformAccount(t.ctx, id);
    expect(after.status).toBe("active");
    expect(after.credentials).toEqual(before.credentials);
    const row = await t.ctx.database.pool.query("SELECT last_error FROM social_accounts WHERE id = $1", [id]);
    expect(row.rows[0].last_error).toMatch(/retried/);
  });
});
