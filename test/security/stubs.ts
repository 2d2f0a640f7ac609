import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Loopback HTTP servers that count what reaches them: an SSRF test proves a refusal by a
 * count that stays at zero, and proves the stub works by a count that moves when allowed.
 * They listen on "::" (IPv4 and IPv6 loopback both reach them).
 */
export interface CountingStub {
  port: number;
  /** Requests whose headers arrived. */
  count(): number;
  /** Host headers seen, in order. */
  hosts: string[];
  close(): Promise<void>;
}

export async function countingStub(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<CountingStub> {
  let n = 0;
  const hosts: string[] = [];
  const server = http.createServer((req, res) => {
    n++;
    hosts.push(req.headers.host ?? "");
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "::", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    count: () => n,
    hosts,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers like an internal service with a secret in its body. */
export const SECRET_BODY = "internal-secret-4f1d";
export const secretService = () =>
  countingStub((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: "InternalOnly", message: SECRET_BODY }));
  });

/** Headers at once, then one byte every 100 ms for a minute: a peer that never finishes. */
export const tricklingService = () =>
  countingStub((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write("{");
    const timer = setInterval(() => res.write(" "), 100);
    const stop = setTimeout(() => {
      clearInterval(timer);
      res.end("}");
    }, 60_000);
    res.on("close", () => {
      clearInterval(timer);
      clearTimeout(stop);
    });
  });

/** A JSON reply of `bytes` bytes without a Content-Length (chunked), written as fast as the reader takes it. */
export const oversizedService = (bytes: number, counter: { written: number } = { written: 0 }) =>
  countingStub((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const pump = () => {
      while (counter.written < bytes) {
        counter.written += chunk.length;
        if (!res.write(chunk)) return void res.once("drain", pump);
      }
      res.end();
    };
    res.on("error", () => undefined);
    pump();
  });
