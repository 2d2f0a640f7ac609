import http from "node:http";
import next from "next";

/**
 * The production web app (the `.next` build) served inside the `npm start` launcher itself:
 * one Node.js process fewer than a `next start` child (about 25 MB of the idle footprint).
 * Next.js reads the app's configuration from this process's environment, as it would its own.
 */
export interface InProcessWeb {
  /** Stops accepting connections, lets in-flight requests finish (at most `graceMs`), then closes Next.js. */
  close(graceMs: number): Promise<void>;
}

export async function startWeb(opts: { dir: string; port: number; hostname: string | undefined }): Promise<InProcessWeb> {
  const app = next({ dev: false, dir: opts.dir, port: opts.port, hostname: opts.hostname });
  await app.prepare();
  const handle = app.getRequestHandler();
  const server = http.createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.hostname, () => resolve());
  });
  return {
    async close(graceMs) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
      await app.close();
    },
  };
}
