import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { GET as listRoute, POST as connectRoute } from "@/app/api/accounts/route";
import { DELETE as deleteRoute, GET as getRoute } from "@/app/api/accounts/[id]/route";
import { loadPlatformAccount, markAccountNeedsReauth, saveAccountSession } from "@/app/lib/accounts/service";
import { getPlatformService } from "@/app/lib/api/services/apiManager";
import { freePort } from "@/test/helpers/freePort";
import { startTestPds, type TestAccount, type TestPds } from "@/test/helpers/pds";
import { createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";

const base = "http://x/api/accounts";
const noParams = { params: Promise.resolve({}) };
const idParams = (id: string) => ({ params: Promise.resolve({ id }) });

describe("accounts API", () => {
  let pds: TestPds;
  let t: TestContext;
  let alice: TestAccount;
  let bob: TestAccount;
  let token: string;
  let otherToken: string;

  const auth = (tok: string) => ({ authorization: `Bearer ${tok}`, "content-type": "application/json" });
  const connect = (body: unknown, tok = token) =>
    connectRoute(new Request(base, { method: "POST", headers: auth(tok), body: JSON.stringify(body) }), noParams);
  const getOne = (id: string, tok = token) => getRoute(new Request(`${base}/${id}`, { headers: auth(tok) }), idParams(id));
  const rowCount = async () => {
    const res = await t.ctx.database.pool.query("select count(*)::int as n from social_accounts");
    return res.rows[0].n as number;
  };

  beforeAll(async () => {
    pds = await startTestPds();
    t = await createTestContext("postgres", { ATPROTO_PLC_URL: pds.plcUrl, ATPROTO_HANDLE_RESOLVER_URL: pds.url, ATPROTO_TIMEOUT_MS: "5000" });
    [alice, bob] = await Promise.all([pds.createAccount("alice"), pds.createAccount("bob")]);
    token = (await createTestUser(t.ctx)).token;
    otherToken = (await createTestUser(t.ctx)).token;
  });
  afterAll(async () => {
    await t?.close();
    await pds?.close();
  });

  it("connects an account with an app password and stores the credentials encrypted", async () => {
    const res = await connect({ platform: "bluesky", identifier: alice.handle, appPassword: alice.appPassword, service: pds.url });
    expect(res.status).toBe(201);
    const { account } = (await res.json()) as { account: Record<string, unknown> };
    expect(Object.keys(account).sort()).toEqual(
      ["createdAt", "did", "handle", "id", "lastError", "lastErrorAt", "lastRefreshedAt", "platform", "service", "status"].sort(),
    );
    expect(account).toMatchObject({ platform: "bluesky", did: alice.did, handle: alice.handle, service: pds.url, status: "active", lastError: null });

    const raw = await t.ctx.database.pool.query("select credentials from social_accounts where id = $1", [account.id]);
    const sealed = raw.rows[0].credentials as string;
    expect(sealed).not.toContain(alice.appPassword);
    expect(sealed).not.toContain("eyJ"); // no JWT in clear either
    const loaded = await loadPlatformAccount(t.ctx, account.id as string);
    expect(loaded.credentials.appPassword).toBe(alice.appPassword);
    expect(loaded.accessExpiresAt?.getTime()).toBeGreaterThan(Date.now() + 60 * 60_000);
  });

  it("refuses a wrong password (422) and a dead PDS (502), storing nothing", async () => {
    const before = await rowCount();
    const wrong = await connect({ platform: "bluesky", identifier: bob.handle, appPassword: "zzzz-zzzz-zzzz-zzzz", service: pds.url });
    expect(wrong.status).toBe(422);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe("invalid_credentials");
    const dead = await connect({
      platform: "bluesky",
      identifier: bob.handle,
      appPassword: bob.appPassword,
      service: `http://127.0.0.1:${await freePort()}`,
    });
    expect(dead.status).toBe(502);
    expect(((await dead.json()) as { error: { code: string } }).error.code).toBe("upstream_unreachable");
    expect(await rowCount()).toBe(before);
  });

  it("resolves handle → DID → PDS through the PLC directory when no service is given", async () => {
    const res = await connect({ platform: "bluesky", identifier: bob.handle, appPassword: bob.appPassword });
    expect(res.status).toBe(201);
    const { account } = (await res.json()) as { account: { did: string; service: string } };
    expect(account.did).toBe(bob.did);
    expect(account.service).toBe(pds.publicUrl);
  });

  it("rejects bad bodies with 400 and anonymous callers with 401", async () => {
    const unknown = await connect({ platform: "mastodon", identifier: "a", appPassword: "b" });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toMatch(/platform/);
    expect((await connect({ platform: "bluesky", identifier: alice.handle })).status).toBe(400);
    const anon = await connectRoute(new Request(base, { method: "POST", body: "{}" }), noParams);
    expect(anon.status).toBe(401);
  });

  it("reconnecting the same DID replaces the tokens and makes the account active again", async () => {
    const list = (await (await listRoute(new Request(base, { headers: auth(token) }), noParams)).json()) as {
      accounts: { id: string; did: string }[];
    };
    const id = list.accounts.find((a) => a.did === alice.did)!.id;
    await markAccountNeedsReauth(t.ctx, id, "app password revoked");
    const stale = (await (await getOne(id)).json()) as { account: { status: string; lastError: string } };
    expect(stale.account).toMatchObject({ status: "needs_reauth", lastError: "app password revoked" });

    const again = await connect({ platform: "bluesky", identifier: alice.handle, appPassword: alice.appPassword, service: pds.url });
    expect(again.status).toBe(200);
    const { account } = (await again.json()) as { account: { id: string; status: string; lastError: unknown } };
    expect(account).toMatchObject({ id, status: "active", lastError: null });
  });

  it("saveAccountSession stores rotated tokens and keeps the app password", async () => {
    const list = (await (await listRoute(new Request(base, { headers: auth(token) }), noParams)).json()) as {
      accounts: { id: string; did: string }[];
    };
    const id = list.accounts.find((a) => a.did === bob.did)!.id;
    const before = await loadPlatformAccount(t.ctx, id);
    const session = await getPlatformService(t.ctx, "bluesky").refreshSession!(before);
    await saveAccountSession(t.ctx, id, session);
    const after = await loadPlatformAccount(t.ctx, id);
    expect(after.credentials).toEqual({ appPassword: bob.appPassword, accessJwt: session.accessJwt, refreshJwt: session.refreshJwt });
    expect(after.lastRefreshedAt!.getTime()).toBeGreaterThanOrEqual(before.lastRefreshedAt!.getTime());
    expect(after.status).toBe("active");
  });

  it("lists, gets and deletes only the caller's own accounts", async () => {
    const mine = (await (await listRoute(new Request(base, { headers: auth(token) }), noParams)).json()) as {
      accounts: { id: string }[];
    };
    expect(mine.accounts).toHaveLength(2);
    const theirs = (await (await listRoute(new Request(base, { headers: auth(otherToken) }), noParams)).json()) as {
      accounts: unknown[];
    };
    expect(theirs.accounts).toEqual([]);

    const id = mine.accounts[0]!.id;
    expect((await getOne(id)).status).toBe(200);
    expect((await getOne(id, otherToken)).status).toBe(404);
    expect((await getOne("not-a-uuid")).status).toBe(404);
    expect((await getOne("00000000-0000-4000-8000-000000000000")).status).toBe(404);

    const del = (tok: string) => deleteRoute(new Request(`${base}/${id}`, { method: "DELETE", headers: auth(tok) }), idParams(id));
    expect((await del(otherToken)).status).toBe(404);
    expect((await getOne(id)).status).toBe(200);
    const gone = await del(token);
    expect(gone.status).toBe(204);
    expect((await getOne(id)).status).toBe(404);
    expect((await del(token)).status).toBe(404);
    // Disconnected, not deleted: the row stays (published posts keep the handle), the credentials do not.
    const kept = await t.ctx.database.db.execute(sql`select credentials, disconnected_at from social_accounts where id = ${id}`);
    expect(kept.rows).toHaveLength(1);
    expect(kept.rows[0]).toMatchObject({ credentials: "" });
    expect(kept.rows[0]!.disconnected_at).not.toBeNull();
  });
});
