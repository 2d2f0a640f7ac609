import net from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "@/app/lib/config";
import { refusedRange } from "@/app/lib/net/addresses";
import { parseAllowlist } from "@/app/lib/net/allowlist";
import { findOutboundError } from "@/app/lib/net/errors";
import { createOutbound, type LookupAll, type Outbound } from "@/app/lib/net/outbound";
import { countingStub, oversizedService, secretService, tricklingService, type CountingStub } from "./stubs";

/**
 * The outbound guard itself (app/lib/net), against loopback stubs that count the requests
 * they receive. The route-level suite (ssrf.test.ts) shows the same refusals through the
 * built app; this one covers what needs an injected DNS answer or exact error reasons.
 */

const reason = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  return findOutboundError(err)?.reason ?? (err === undefined ? "no error" : `other: ${String(err)}`);
};

describe("address classification", () => {
  const refused = [
    "127.0.0.1", "127.255.0.9", "0.0.0.0", "10.1.2.3", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1",
    "100.100.100.200", "224.0.0.1", "255.255.255.255", "240.0.0.1", "::", "::1", "fe80::1", "fc00::1", "fd00:ec2::254",
    "ff02::1", "::ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:169.254.169.254", "64:ff9b::7f00:1", "2002:7f00:1::1",
  ];
  it.each(refused)("%s is refused", (ip) => expect(refusedRange(ip)).toBeDefined());
  it.each(["1.1.1.1", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])("%s is public", (ip) => expect(refusedRange(ip)).toBeUndefined());
});

describe("OUTBOUND_ALLOWLIST", () => {
  it("matches host, host:port and CIDR entries, nothing else", () => {
    const list = parseAllowlist("pds.lan, 127.0.0.1:2583, [::1]:2584, 10.0.0.0/8, ::ffff:192.168.0.0/112");
    expect(list.allowsHost("pds.lan", 443)).toBe(true);
    expect(list.allowsHost("PDS.LAN", 80)).toBe(true);
    expect(list.allowsHost("127.0.0.1", 2583)).toBe(true);
    expect(list.allowsHost("127.0.0.1", 2584)).toBe(false);
    expect(list.allowsHost("[::1]", 2584)).toBe(true);
    expect(list.allowsHost("other.lan", 443)).toBe(false);
    expect(list.allowsAddress("10.9.8.7")).toBe(true);
    expect(list.allowsAddress("::ffff:10.9.8.7")).toBe(true);
    expect(list.allowsAddress("192.168.3.4")).toBe(true);
    expect(list.allowsAddress("127.0.0.1")).toBe(false);
    expect(list.allowsAddress("11.0.0.1")).toBe(false);
  });

  it("is validated at start-up with the variable named", () => {
    for (const bad of ["10.0.0.0/99", "host:port", "a b", "1.2.3.4:99999"]) {
      expect(() => loadConfig({ OUTBOUND_ALLOWLIST: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ OUTBOUND_ALLOWLIST: bad })).toThrow(/OUTBOUND_ALLOWLIST/);
    }
    expect(loadConfig({ OUTBOUND_ALLOWLIST: "pds.lan:2583,10.0.0.0/8" }).outbound.allowlist).toEqual(["pds.lan:2583", "10.0.0.0/8"]);
  });
});

describe("guarded fetch against counting loopback stubs", () => {
  let service: CountingStub;
  const outbounds: Outbound[] = [];
  const make = (allowlist: string, lookup?: LookupAll) => {
    const o = createOutbound({ allowlist, lookup });
    outbounds.push(o);
    return o;
  };

  beforeAll(async () => {
    service = await secretService();
  });
  afterAll(async () => {
    await Promise.all(outbounds.map((o) => o.close()));
    await service.close();
  });

  it("refuses every spelling of a loopback address and never reaches the stub", async () => {
    const guarded = make("");
    const p = service.port;
    const urls = [
      `http://127.0.0.1:${p}/`,
      `http://localhost:${p}/`,
      `http://[::1]:${p}/`,
      `http://2130706433:${p}/`, // decimal
      `http://0x7f000001:${p}/`, // hex
      `http://0177.0.0.1:${p}/`, // octal
      `http://127.1:${p}/`,
      `http://[::ffff:127.0.0.1]:${p}/`,
      `http://[0:0:0:0:0:ffff:7f00:1]:${p}/`,
    ];
    for (const url of urls) expect(await reason(guarded.fetch(url, { timeoutMs: 5_000 })), url).toBe("refused");
    expect(await reason(guarded.fetch(`file:///etc/passwd`, { timeoutMs: 5_000 }))).toBe("bad_url");
    expect(service.count()).toBe(0);
  });

  it("reaches the same stub when OUTBOUND_ALLOWLIST lists it (host:port, or CIDR for a name)", async () => {
    const byHost = await make(`127.0.0.1:${service.port}`).fetch(`http://127.0.0.1:${service.port}/`, { timeoutMs: 5_000 });
    expect(byHost.status).toBe(200);
    await byHost.text();
    const byCidr = await make("::1/128,127.0.0.0/8").fetch(`http://localhost:${service.port}/`, { timeoutMs: 5_000 });
    expect(byCidr.status).toBe(200);
    await byCidr.text();
    expect(service.count()).toBe(2);
    // host:port allows that port only
    expect(await reason(make(`127.0.0.1:${service.port + 1}`).fetch(`http://127.0.0.1:${service.port}/`, { timeoutMs: 5_000 }))).toBe("refused");
    expect(service.count()).toBe(2);
  });

  it("refuses a name that resolves to a private address, even when one of its addresses is public", async () => {
    const before = service.count();
    const lookups: string[] = [];
    const lookup: LookupAll = async (host) => {
      lookups.push(host);
      if (host === "internal.example") return [{ address: "127.0.0.1", family: 4 }];
      if (host === "mixed.example") return [{ address: "93.184.216.34", family: 4 }, { address: "::1", family: 6 }];
      if (host === "metadata.example") return [{ address: "::ffff:169.254.169.254", family: 6 }];
      throw new Error(`no such name ${host}`);
    };
    const guarded = make("", lookup);
    for (const host of ["internal.example", "mixed.example", "metadata.example"]) {
      const err = await guarded.fetch(`http://${host}:${service.port}/`, { timeoutMs: 5_000 }).catch((e: unknown) => e);
      expect(findOutboundError(err)?.reason, host).toBe("refused");
      expect((err as Error).message).not.toContain("internal-secret");
    }
    expect(lookups).toEqual(["internal.example", "mixed.example", "metadata.example"]);
    expect(service.count()).toBe(before);
  });

  it("connects to the address it checked, once per name (no second DNS answer can change it)", async () => {
    const before = service.count();
    let lookups = 0;
    const lookup: LookupAll = async () => {
      lookups++;
      // A rebinding resolver would answer differently the second time; there is no second time.
      return lookups === 1 ? [{ address: "127.0.0.1", family: 4 }] : [{ address: "10.0.0.1", family: 4 }];
    };
    const res = await make("127.0.0.0/8", lookup).fetch(`http://pds.example:${service.port}/x`, { timeoutMs: 5_000 });
    expect(res.status).toBe(200);
    await res.text();
    expect(lookups).toBe(1);
    expect(service.count()).toBe(before + 1);
    expect(service.hosts.at(-1)).toBe(`pds.example:${service.port}`);
  });

  it("re-checks each redirect hop and stops after 3", async () => {
    const target = await secretService();
    const redirector = await countingStub((req, res) => {
      const hop = Number(new URL(req.url ?? "/", "http://x").searchParams.get("hop") ?? "0");
      const location = req.url?.startsWith("/private")
        ? `http://127.0.0.1:${target.port}/latest/meta-data/`
        : `/loop?hop=${hop + 1}`;
      res.writeHead(302, { location });
      res.end();
    });
    try {
      const guarded = make(`127.0.0.1:${redirector.port}`);
      expect(await reason(guarded.fetch(`http://127.0.0.1:${redirector.port}/private`, { timeoutMs: 5_000 }))).toBe("refused");
      expect(target.count()).toBe(0);
      expect(await reason(guarded.fetch(`http://127.0.0.1:${redirector.port}/loop`, { timeoutMs: 5_000 }))).toBe("redirects");
      expect(redirector.count()).toBe(1 + 4); // /private, then /loop and its 3 allowed hops
      // Allowed, the redirect is followed: the refusal above was the guard's.
      const open = await make(`127.0.0.1:${redirector.port},127.0.0.1:${target.port}`).fetch(`http://127.0.0.1:${redirector.port}/private`, {
        timeoutMs: 5_000,
      });
      expect(open.status).toBe(200);
      await open.text();
      expect(target.count()).toBe(1);
    } finally {
      await Promise.all([target.close(), redirector.close()]);
    }
  });

  it("ends a trickling exchange at the deadline, body included", async () => {
    const slow = await tricklingService();
    try {
      const guarded = make(`127.0.0.1:${slow.port}`);
      const started = Date.now();
      // The whole answer is read within the call: the call itself fails.
      expect(await reason(guarded.fetch(`http://127.0.0.1:${slow.port}/`, { timeoutMs: 1_000 }))).toBe("timeout");
      expect(slow.count()).toBe(1);
      // The peer would go on for 60 s; generous bound for a loaded machine.
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      await slow.close();
    }
  });

  it("ends a TLS handshake that never completes at the deadline", async () => {
    // Accepts TCP, then sends one byte a second: never a ServerHello.
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      const timer = setInterval(() => socket.write("\x16"), 1_000);
      socket.on("close", () => clearInterval(timer));
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const started = Date.now();
      expect(await reason(make(`127.0.0.1:${port}`).fetch(`https://127.0.0.1:${port}/`, { timeoutMs: 1_000 }))).toBe("timeout");
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("caps the body at 1 MiB by default and refuses a declared oversize at once", async () => {
    const written = { written: 0 };
    const big = await oversizedService(300 * 1024 * 1024, written);
    const declared = await countingStub((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": String(300 * 1024 * 1024) });
      res.write("{");
    });
    try {
      const guarded = make(`127.0.0.1:${big.port},127.0.0.1:${declared.port}`);
      expect(await reason(guarded.fetch(`http://127.0.0.1:${big.port}/`, { timeoutMs: 20_000 }))).toBe("too_large");
      expect(written.written).toBeLessThan(64 * 1024 * 1024);
      expect(await reason(guarded.fetch(`http://127.0.0.1:${declared.port}/`, { timeoutMs: 20_000 }))).toBe("too_large");
      // A larger cap where a call needs one: the declared size is accepted, and the call then
      // waits for a body that never comes until its deadline.
      expect(await reason(guarded.fetch(`http://127.0.0.1:${declared.port}/`, { timeoutMs: 2_000, maxBytes: 400 * 1024 * 1024 }))).toBe("timeout");
    } finally {
      await Promise.all([big.close(), declared.close()]);
    }
  });

  it("counts a compressed body as inflated, whatever length it declares (branch perf)", async () => {
    // A gzip body's declared length is the compressed one: it is counted after inflating.
    const zipped = gzipSync(Buffer.alloc(3 * 1024 * 1024, 0x20));
    const stub = await countingStub((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip", "content-length": String(zipped.length) });
      res.end(zipped);
    });
    const plain = await countingStub((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "11" });
      res.end('{"ok":true}');
    });
    const small = gzipSync('{"zipped":true}');
    const smallZip = await countingStub((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip", "content-length": String(small.length) });
      res.end(small);
    });
    try {
      const guarded = make(`127.0.0.1:${stub.port},127.0.0.1:${plain.port},127.0.0.1:${smallZip.port}`);
      expect(await reason(guarded.fetch(`http://127.0.0.1:${stub.port}/`, { timeoutMs: 20_000 }))).toBe("too_large");
      // A plain body with its length declared arrives whole.
      expect(await (await guarded.fetch(`http://127.0.0.1:${plain.port}/`, { timeoutMs: 20_000 })).json()).toEqual({ ok: true });
      // A gzip body within the cap arrives inflated.
      expect(await (await guarded.fetch(`http://127.0.0.1:${smallZip.port}/`, { timeoutMs: 20_000 })).json()).toEqual({ zipped: true });
    } finally {
      await Promise.all([stub.close(), plain.close(), smallZip.close()]);
    }
  });
});
