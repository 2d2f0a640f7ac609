import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A small HTTP proxy in front of the real PDS that injects the failures networks produce:
 * an error status instead of an answer, or the answer lost after the PDS committed the
 * write (the case that double-posts when retries are not idempotent). Everything else is
 * forwarded untouched, so what the tests check is still the real PDS's behaviour.
 */
export type Fault =
  | { kind: "status"; status: number; body?: unknown; headers?: Record<string, string> }
  /** Forward, let the PDS answer, then cut the connection before the client sees the answer. */
  | { kind: "drop_after_commit" }
  /** Forward untouched (a rule placed before another one lets the first matching requests through). */
  | { kind: "pass" }
  /** Never forward and never answer: the caller hangs, as on a stalled upload (until the proxy closes). */
  | { kind: "hold" };

export interface FaultProxy {
  url: string;
  /** Applies `fault` to the next `times` requests whose path contains `match` (an XRPC method name). */
  inject(match: string, fault: Fault, times?: number): void;
  /** Requests seen per XRPC method. */
  seen: Map<string, number>;
  /** Faults applied so far. */
  applied: number;
  clear(): void;
  close(): Promise<void>;
}

interface Rule {
  match: string;
  fault: Fault;
  left: number;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const rules: Rule[] = [];
  const seen = new Map<string, number>();
  const state = { applied: 0 };

  const take = (path: string): Fault | undefined => {
    const rule = rules.find((r) => r.left > 0 && path.includes(r.match));
    if (!rule) return undefined;
    rule.left--;
    state.applied++;
    return rule.fault;
  };

  const server = http.createServer((req, res) => {
    const path = req.url ?? "/";
    const method = path.split("?")[0]!.replace(/^\/xrpc\//, "");
    seen.set(method, (seen.get(method) ?? 0) + 1);
    const fault = take(path);
    if (fault?.kind === "hold") {
      req.resume();
      return;
    }
    if (fault?.kind === "status") {
      req.resume();
      res.writeHead(fault.status, { "content-type": "application/json", ...fault.headers });
      res.end(JSON.stringify(fault.body ?? { error: "InternalServerError", message: "injected by the fault proxy" }));
      return;
    }
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path, headers: { ...req.headers, host: upstream.host } },
      (up) => {
        if (fault?.kind === "drop_after_commit") {
          // The PDS has answered (so it committed); the client never learns it.
          up.resume();
          up.on("end", () => req.socket.destroy());
          return;
        }
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    forward.on("error", () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    inject(match, fault, times = 1) {
      rules.push({ match, fault, left: times });
    },
    seen,
    get applied() {
      return state.applied;
    },
    clear() {
      rules.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
