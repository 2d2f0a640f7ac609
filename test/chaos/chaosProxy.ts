import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A proxy between the worker and the real PDS that breaks a share of the record writes
 * (com.atproto.repo.putRecord) at random, the way networks and busy servers do:
 *
 *   5xx        answered by the proxy; the PDS never sees the write
 *   timeout    forwarded (the PDS commits), the answer is held until the client gives up
 *   drop       forwarded (the PDS commits), the connection is cut before the answer
 *   429        answered by the proxy with Retry-After (the client must wait that long)
 *
 * Each record key gets at most `maxBurningFaultsPerKey` faults that cost the client an
 * attempt (5xx, timeout, drop): with 4 attempts configured, 3 is the most a correct client
 * survives. Everything else is forwarded untouched.
 */
export type ProxyFault = "5xx" | "timeout" | "drop" | "429";

export interface ProxyEvent {
  at: number;
  fault: ProxyFault | "ok";
}

export interface ChaosProxyOptions {
  target: string;
  /** Share of putRecord requests that get a fault (0..1). */
  faultRate: number;
  retryAfterSeconds: number;
  maxBurningFaultsPerKey: number;
  seed?: number;
}

export interface ChaosProxy {
  url: string;
  /** Every putRecord seen, per record key, in order. */
  events: Map<string, ProxyEvent[]>;
  counts(): Record<ProxyFault | "ok", number>;
  close(): Promise<void>;
}

/** mulberry32: a small seeded generator, so a failing run can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KINDS: ProxyFault[] = ["5xx", "timeout", "drop", "429"];
const STATUSES = [500, 502, 503, 504];

export async function startChaosProxy(opts: ChaosProxyOptions): Promise<ChaosProxy> {
  const upstream = new URL(opts.target);
  const rand = random(opts.seed ?? 0x5eed);
  const events = new Map<string, ProxyEvent[]>();
  const held = new Set<http.ServerResponse>();

  const choose = (rkey: string | undefined): ProxyFault | undefined => {
    if (!rkey || rand() >= opts.faultRate) return undefined;
    const kind = KINDS[Math.floor(rand() * KINDS.length)]!;
    if (kind === "429") return kind;
    const burnt = (events.get(rkey) ?? []).filter((e) => e.fault !== "ok" && e.fault !== "429").length;
    return burnt < opts.maxBurningFaultsPerKey ? kind : undefined;
  };

  const forward = (req: http.IncomingMessage, body: Buffer, onAnswer: (up: http.IncomingMessage) => void, res: http.ServerResponse) => {
    const up = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      onAnswer,
    );
    up.on("error", () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    up.end(body);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const isWrite = (req.url ?? "").startsWith("/xrpc/com.atproto.repo.putRecord");
      let rkey: string | undefined;
      if (isWrite) {
        try {
          rkey = (JSON.parse(body.toString()) as { rkey?: string }).rkey;
        } catch {
          rkey = undefined;
        }
      }
      const fault = choose(rkey);
      if (rkey) {
        const list = events.get(rkey) ?? [];
        list.push({ at: Date.now(), fault: fault ?? "ok" });
        events.set(rkey, list);
      }
      if (fault === "5xx") {
        const status = STATUSES[Math.floor(rand() * STATUSES.length)]!;
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: "InternalServerError", message: "injected by the chaos proxy" }));
        return;
      }
      if (fault === "429") {
        const reset = Math.ceil(Date.now() / 1000) + opts.retryAfterSeconds;
        res.writeHead(429, {
          "content-type": "application/json",
          "retry-after": String(opts.retryAfterSeconds),
          "ratelimit-limit": "100",
          "ratelimit-remaining": "0",
          "ratelimit-reset": String(reset),
        });
        res.end(JSON.stringify({ error: "RateLimitExceeded", message: "Rate Limit Exceeded" }));
        return;
      }
      forward(
        req,
        body,
        (up) => {
          if (fault === "drop") {
            up.resume();
            up.on("end", () => req.socket.destroy());
            return;
          }
          if (fault === "timeout") {
            // The PDS answered (and committed); hold the answer until the client gives up.
            up.resume();
            held.add(res);
            res.on("close", () => held.delete(res));
            return;
          }
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
        res,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    events,
    counts() {
      const out = { ok: 0, "5xx": 0, timeout: 0, drop: 0, "429": 0 };
      for (const list of events.values()) for (const e of list) out[e.fault]++;
      return out;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
