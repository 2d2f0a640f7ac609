import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as connectRoute } from "@/app/api/accounts/route";
import { call } from "@/test/helpers/http";
import { startTestPds, type TestAccount, type TestPds } from "@/test/helpers/pds";
import { createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";
import { countingStub, type CountingStub } from "./stubs";

/**
 * A server's createSession answer is only a claim. A fake PDS (reachable: it is on the
 * allowlist) that answers with another account's DID and handle must not get that account
 * connected: the DID document (from the local PLC) names the real PDS, which refuses the
 * fake's token. The real PDS, reached as 127.0.0.1 while its document says localhost, passes.
 */

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
const fakeJwt = (did: string) => `${b64({ alg: "ES256K", typ: "at+jwt" })}.${b64({ sub: did, exp: Math.floor(Date.now() / 1000) + 7200 })}.c2ln`;

describe("connecting checks the account's identity against its DID document", () => {
  let pds: TestPds;
  let t: TestContext;
  let alice: TestAccount;
  let token: string;
  let fake: CountingStub;
  let claim: { did: string; handle: string };

  const rows = async () => (await t.ctx.database.pool.query("select count(*)::int as n from social_accounts")).rows[0].n as number;
  const connect = (service: string, who = alice) =>
    call(connectRoute, {
      method: "POST",
      path: "/api/accounts",
      token,
      body: { platform: "bluesky", identifier: who.handle, appPassword: who.appPassword, service },
    });

  beforeAll(async () => {
    pds = await startTestPds();
    fake = await countingStub((req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      if (req.url?.startsWith("/xrpc/com.atproto.server.createSession")) {
        res.end(JSON.stringify({ ...claim, accessJwt: fakeJwt(claim.did), refreshJwt: fakeJwt(claim.did), active: true }));
      } else res.end("{}");
    });
    t = await createTestContext("postgres", { ...pds.env, OUTBOUND_ALLOWLIST: `${pds.env.OUTBOUND_ALLOWLIST},127.0.0.1:${fake.port}` });
    alice = await pds.createAccount("alice");
    token = (await createTestUser(t.ctx)).token;
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
    await pds?.close();
  });

  it("refuses (422) a server that claims another account's DID and handle, storing nothing", async () => {
    claim = { did: alice.did, handle: alice.handle };
    const res = await connect(`http://127.0.0.1:${fake.port}`);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("unprocessable");
    expect(res.body.error.message).toMatch(/not the PDS of/);
    expect(fake.count()).toBeGreaterThan(0);
    expect(await rows()).toBe(0);
  });

  it("refuses (422) a DID whose document names another handle", async () => {
    claim = { did: alice.did, handle: "bsky.app" };
    const res = await connect(`http://127.0.0.1:${fake.port}`);
    expect(res.status).toBe(422);
    expect(res.body.error.message).toMatch(/DID document/);
    expect(await rows()).toBe(0);
  });

  it("refuses (422) a DID that does not exist in the directory", async () => {
    claim = { did: "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa", handle: alice.handle };
    const res = await connect(`http://127.0.0.1:${fake.port}`);
    expect(res.status).toBe(422);
    expect(await rows()).toBe(0);
  });

  it("connects the real account through its real PDS (named localhost in its document, reached as 127.0.0.1)", async () => {
    const res = await connect(pds.url);
    expect(res.status).toBe(201);
    expect(res.body.account).toMatchObject({ did: alice.did, handle: alice.handle, service: pds.url });
    expect(await rows()).toBe(1);
  });
});
