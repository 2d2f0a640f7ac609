import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Job } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "@/app/lib/config";
import { createQueueBackend, redisConnectionOptions } from "@/app/lib/queues/backend";
import { withTimeout } from "@/app/lib/queues/queueCall";
import { startRedisSentinels, type RedisSentinelGroup, type TlsFiles } from "@/test/helpers/redisProcesses";

/**
 * REDIS_SENTINEL_TLS and REDIS_TLS against TLS-only Sentinels, master and replica (Debian's
 * redis-server with a throw-away CA made here by openssl): a job goes through a Queue and a
 * Worker built from the config. The CA is merged into the options the config produced, as
 * NODE_EXTRA_CA_CERTS would do in production (a Node process reads that only at start).
 */
describe("Redis Sentinel over TLS", () => {
  let dir: string;
  let tls: TlsFiles;
  let group: RedisSentinelGroup;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "postmore-redis-tls-"));
    tls = { ca: path.join(dir, "ca.crt"), cert: path.join(dir, "server.crt"), key: path.join(dir, "server.key") };
    const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=postmore-test-ca");
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
    fs.writeFileSync(path.join(dir, "ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    ssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "ext.cnf");
    group = await startRedisSentinels({ tls });
  }, 120_000);
  afterAll(async () => {
    await group?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The queue backend from an operator's env, trusting the test CA. */
  function backendFor(env: Record<string, string>) {
    const config = loadConfig({ REDIS_SENTINELS: group.seeds, REDIS_SENTINEL_NAME: group.name, ...env });
    const ca = fs.readFileSync(tls.ca, "utf8");
    const opts = redisConnectionOptions(config) as Record<string, unknown>;
    const trusted = {
      ...opts,
      ...(opts.tls ? { tls: { ...(opts.tls as object), ca } } : {}),
      ...(opts.sentinelTLS ? { sentinelTLS: { ...(opts.sentinelTLS as object), ca } } : {}),
    };
    return createQueueBackend({ kind: "redis", redis: trusted, prefix: `{tls${randomBytes(3).toString("hex")}}` });
  }

  it("runs a job with REDIS_SENTINEL_TLS=true and REDIS_TLS=true", async () => {
    const backend = backendFor({ REDIS_SENTINEL_TLS: "true", REDIS_TLS: "true" });
    const queue = backend.createQueue<{ n: number }>("tls-probe");
    const done = new Promise<number>((resolve) => {
      const worker = backend.createWorker<{ n: number }>("tls-probe", async (job: Job<{ n: number }>) => job.data.n * 2);
      worker.on("completed", (_job, result: number) => void worker.close().then(() => resolve(result)));
    });
    await queue.add("probe", { n: 21 });
    expect(await withTimeout(done, 30_000)).toBe(42);
    await queue.close();
  }, 60_000);

  it("cannot reach TLS-only Sentinels without REDIS_SENTINEL_TLS", async () => {
    const queue = backendFor({ REDIS_TLS: "true" }).createQueue("tls-probe");
    await expect(withTimeout(queue.getJobCounts("waiting"), 5000)).rejects.toThrow();
    await withTimeout(queue.close(), 2000).catch(() => {});
  });
});
