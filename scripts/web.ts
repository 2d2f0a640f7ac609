import cluster from "node:cluster";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import next from "next";
import { builtNextConfigEnv } from "./lib/launcher";
import { configOrExit } from "./lib/settings";

/**
 * `node dist/web.mjs`: the web app as PM2 runs it in cluster mode (ecosystem.config.cjs).
 *
 * `next start` binds the port first and loads the app afterwards: in a PM2 cluster that
 * 'listening' tells `pm2 reload` the new instance is up, PM2 stops the old one, and the
 * primary routes connections to an instance that answers them only once Next.js has prepared,
 * run instrumentation and connected to PostgreSQL and Redis (17 s on a loaded 2-core machine;
 * requests waited that long or got a 503). Here the port is bound only after the app has
 * answered its own health check, so 'listening' means ready.
 *
 * On SIGINT/SIGTERM (PM2 sends SIGINT) it stops accepting, answers what is in flight with
 * `Connection: close`, and leaves the cluster through worker.disconnect() before exiting:
 * its round trip to the primary ensures no connection is still on its way to this process.
 */
const WARM_UP_LIMIT_MS = 60_000;
// From this file (dist/web.mjs), not process.argv: under PM2 argv[1] is its ProcessContainer.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

/**
 * Serves the app on a private port of this process alone (`exclusive`: not through the cluster
 * primary, so PM2 sees no 'listening') until /api/health answers 200, at most WARM_UP_LIMIT_MS:
 * a database that is down must not keep the web from serving its degraded health.
 */
async function warmUp(handle: http.RequestListener): Promise<boolean> {
  const server = http.createServer(handle);
  await new Promise<void>((resolve) => server.listen({ port: 0, host: "127.0.0.1", exclusive: true }, resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/health`;
  const deadline = Date.now() + WARM_UP_LIMIT_MS;
  let ok = await healthy(url);
  while (!ok && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    ok = await healthy(url);
  }
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  return ok;
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const config = configOrExit();
  const hostname = config.hostname ?? "0.0.0.0";
  Object.assign(process.env, builtNextConfigEnv(root));
  const app = next({ dir: root, dev: false, hostname, port: config.port });
  await app.prepare();
  const handler = app.getRequestHandler();
  const inFlight = new Set<http.ServerResponse>();
  let stopping = false;

  const server = http.createServer((req, res) => {
    inFlight.add(res);
    if (stopping) res.setHeader("connection", "close");
    res.once("close", () => {
      inFlight.delete(res);
      if (stopping) server.closeIdleConnections(); // a keep-alive socket whose last answer just went out
    });
    void handler(req, res);
  });

  if (!(await warmUp((req, res) => void handler(req, res))))
    console.error(`PostMore web: /api/health was not 200 within ${WARM_UP_LIMIT_MS / 1000} s; listening anyway`);
  await new Promise<void>((resolve) => server.listen(config.port, hostname, resolve));
  console.log(`PostMore web listening on ${hostname}:${config.port} (ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s)`);

  const stop = () => {
    if (stopping) return;
    stopping = true;
    for (const res of inFlight) if (!res.headersSent) res.setHeader("connection", "close");
    server.close(() => {
      void app.close().finally(() => {
        // Leaving the cluster waits for the primary's answer: whatever it sent before it learnt
        // of our closed server has arrived (and was handed back) by then.
        if (cluster.isWorker && cluster.worker?.isConnected()) {
          cluster.worker.once("disconnect", () => process.exit(0));
          cluster.worker.disconnect();
        } else process.exit(0);
      });
    });
    server.closeIdleConnections();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
