import http from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on loopback: records every request and answers with `status` (changeable). */
export async function startReceiver(status = 200): Promise<{
  url: string;
  requests: ReceivedRequest[];
  setStatus(s: number): void;
  close(): Promise<void>;
}> {
  const requests: ReceivedRequest[] = [];
  let answer = status;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(answer, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    setStatus: (s) => (answer = s),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
