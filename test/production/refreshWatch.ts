import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A pass-through proxy in front of the PDS that watches com.atproto.server.refreshSession:
 * how many ran per account (the JWT's `sub`) and the most that were ever in flight at once
 * for one account — the per-account lock's promise is that this never exceeds 1.
 */
export interface RefreshWatch {
  url: string;
  refreshes: Map<string, number>;
  maxInFlight(): number;
  close(): Promise<void>;
}

function subject(authorization: string | undefined): string {
  const token = /^Bearer (.+)$/.exec(authorization ?? "")?.[1] ?? "";
  try {
    return (JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()) as { sub?: string }).sub ?? "?";
  } catch {
    return "?";
  }
}

export async function startRefreshWatch(target: string): Promise<RefreshWatch> {
  const upstream = new URL(target);
  const refreshes = new Map<string, number>();
  const inFlight = new Map<string, number>();
  let max = 0;
  const server = http.createServer((req, res) => {
    const isRefresh = (req.url ?? "").includes("com.atproto.server.refreshSession");
    const who = isRefresh ? subject(req.headers.authorization) : "";
    if (isRefresh) {
      refreshes.set(who, (refreshes.get(who) ?? 0) + 1);
      inFlight.set(who, (inFlight.get(who) ?? 0) + 1);
      max = Math.max(max, inFlight.get(who)!);
    }
    const done = () => {
      if (isRefresh) inFlight.set(who, inFlight.get(who)! - 1);
    };
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        up.on("end", done);
      },
    );
    forward.on("error", () => {
      done();
      if (!res.headersSent) res.writeHead(502).end();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    refreshes,
    maxInFlight: () => max,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
