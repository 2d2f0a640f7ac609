import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWeb, waitForHealth, type Proc } from "@/e2e/servers";
import { freePort } from "@/test/helpers/freePort";
import { createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";
import { countingStub, oversizedService, SECRET_BODY, secretService, tricklingService, type CountingStub } from "./stubs";

/**
 * SSRF through the built app (`next start`): POST /api/accounts with a `service` that points
 * inside. Loopback stubs count what reaches them; the refused ones must count zero, and the
 * answer must not carry their body. Only the stubs this suite lists in OUTBOUND_ALLOWLIST
 * (the redirector, the trickling and the oversized peer) are reachable at all.
 */

function rssMb(pid: number): number {
  const line = fs.readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"));
  return Number(line?.replace(/\D+/g, "") ?? 0) / 1024;
}

describe("outbound calls from the running app refuse internal destinations", () => {
  let t: TestContext;
  let web: Proc;
  let base = "";
  let token = "";
  let internal: CountingStub;
  let redirector: CountingStub;
  let slow: CountingStub;
  let big: CountingStub;
  const written = { written: 0 };

  const connect = async (service: string) => {
    const res = await fetch(`${base}/api/accounts`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ platform: "bluesky", identifier: "someone.example.com", appPassword: "aaaa-bbbb-cccc-dddd", service }),
    });
    return { status: res.status, text: await res.text() };
  };

  beforeAll(async () => {
    t = await createTestContext("postgres");
    token = (await createTestUser(t.ctx)).token;
    internal = await secretService();
    redirector = await countingStub((_req, res) => {
      res.writeHead(302, { location: `http://127.0.0.1:${internal.port}/latest/meta-data/iam/security-credentials/` });
      res.end();
    });
    slow = await tricklingService();
    big = await oversizedService(300 * 1024 * 1024, written);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    web = startWeb(port, {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: "production",
      LOG_LEVEL: "warn",
      DATABASE_URL: t.databaseUrl,
      POSTMORE_SECRET: t.secret,
      QUEUE_BACKEND: "postgres",
      ATPROTO_TIMEOUT_MS: "1500",
      OUTBOUND_ALLOWLIST: [redirector, slow, big].map((s) => `127.0.0.1:${s.port}`).join(","),
    } as NodeJS.ProcessEnv);
    await waitForHealth(base, web);
  });
  afterAll(async () => {
    await web?.stop();
    await Promise.all([internal, redirector, slow, big].map((s) => s?.close()));
    await t?.close();
  });

  it.each([
    ["the direct address", (p: number) => `http://127.0.0.1:${p}`],
    ["localhost", (p: number) => `http://localhost:${p}`],
    ["IPv6 loopback", (p: number) => `http://[::1]:${p}`],
    ["the decimal form", (p: number) => `http://2130706433:${p}`],
    ["the hex form", (p: number) => `http://0x7f000001:${p}`],
    ["an IPv4-mapped IPv6 address", (p: number) => `http://[::ffff:127.0.0.1]:${p}`],
  ])("refuses %s with 422, never reaching the service", async (_name, url) => {
    const res = await connect(url(internal.port));
    expect(res.status, res.text).toBe(422);
    expect(JSON.parse(res.text).error.code).toBe("unprocessable");
    expect(res.text).not.toContain(SECRET_BODY);
    expect(internal.count()).toBe(0);
  });

  it("re-checks a redirect: an allowed server's 302 to a private address is refused", async () => {
    const res = await connect(`http://127.0.0.1:${redirector.port}`);
    expect(res.status).toBe(422);
    expect(res.text).not.toContain(SECRET_BODY);
    expect(redirector.count()).toBeGreaterThan(0); // the allowlisted hop was made
    expect(internal.count()).toBe(0);
  });

  it("ends an exchange with a trickling peer at the deadline (502)", async () => {
    const started = Date.now();
    const res = await connect(`http://127.0.0.1:${slow.port}`);
    expect(res.status).toBe(502);
    expect(slow.count()).toBe(1);
    // The peer trickles for 60 s; ATPROTO_TIMEOUT_MS is 1.5 s. Generous bound for a loaded machine.
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it("caps an oversized reply: 502, and the web process does not swell", async () => {
    const pid = web.child.pid!;
    const before = rssMb(pid);
    const res = await connect(`http://127.0.0.1:${big.port}`);
    expect(res.status).toBe(502);
    expect(big.count()).toBe(1);
    expect(written.written).toBeLessThan(64 * 1024 * 1024); // of the 300 MB offered
    expect(rssMb(pid) - before).toBeLessThan(200);
  });
});
