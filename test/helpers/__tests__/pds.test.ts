import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AtpAgent } from "@atproto/api";
import { startTestPds, type TestPds } from "../pds";

describe("test PDS helper", () => {
  let pds: TestPds;
  beforeAll(async () => {
    pds = await startTestPds();
  });
  afterAll(async () => {
    await pds?.close();
  });

  it("creates accounts whose app password logs in, lists posts, revokes app passwords", async () => {
    const alice = await pds.createAccount("alice");
    expect(alice.did).toMatch(/^did:plc:/);
    expect(alice.handle).toMatch(/\.test$/);

    const agent = new AtpAgent({ service: pds.url });
    await agent.login({ identifier: alice.handle, password: alice.appPassword });
    for (let i = 0; i < 3; i++) await agent.post({ text: `hello ${i}`, createdAt: new Date().toISOString() });
    const posts = await pds.listPosts(alice.did);
    expect(posts.map((p) => p.value.text).sort()).toEqual(["hello 0", "hello 1", "hello 2"]);

    await pds.revokeAppPassword(alice, alice.appPasswordName);
    await expect(
      new AtpAgent({ service: pds.url }).login({ identifier: alice.handle, password: alice.appPassword }),
    ).rejects.toThrow();
  });

  it("serves DID documents from its PLC", async () => {
    const bob = await pds.createAccount("bob");
    const res = await fetch(`${pds.plcUrl}/${bob.did}`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { service: { serviceEndpoint: string }[] };
    expect(doc.service[0]?.serviceEndpoint).toBe(pds.publicUrl);
  });
});
