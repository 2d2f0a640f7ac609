import { randomBytes } from "node:crypto";
import { expect } from "vitest";
import { GET as health } from "@/app/api/health/route";
import { POST as createPost } from "@/app/api/posts/route";
import { loadConfig } from "@/app/lib/config";
import { createAppContext, setAppContext, type AppContext } from "@/app/lib/context";
import { getPostQueue, initPostQueue } from "@/app/lib/queues/postQueue";
import { withTimeout } from "@/app/lib/queues/queueCall";
import { call } from "@/test/helpers/http";
import { connectPdsAccounts } from "@/test/helpers/connectAccounts";
import { startTestPds, type TestPds } from "@/test/helpers/pds";
import { waitFor } from "@/test/helpers/postsApi";
import { createTestUser } from "@/test/helpers/testContext";
import { createTestDatabase } from "@/test/helpers/testDb";
import { startWorkerProcess, type WorkerProcess } from "@/test/helpers/workerProcess";

/**
 * What a Redis fail-over test needs around the Redis under test: a migrated database, the
 * real local PDS with two connected accounts, this process as the web side (route handlers
 * on a context built from the same env an operator would set) and one `npm run worker`
 * child process with that env.
 */
export interface FailoverRig {
  ctx: AppContext;
  worker: WorkerProcess;
  /**
   * Schedules `perAccount` posts to both accounts due in 2 s, runs `crash` once the first is
   * published, and returns when every delivery is published (or throws after `timeoutMs`).
   */
  burst(perAccount: number, crash: () => Promise<void>, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startFailoverRig(redisEnv: Record<string, string>): Promise<FailoverRig> {
  const testDb = await createTestDatabase();
  const secret = randomBytes(32).toString("hex");
  const prefix = `{fo${randomBytes(3).toString("hex")}}`;
  // The reconciler re-queues a job Redis lost with a master that died before replicating it;
  // 10 s instead of 300 s keeps the test short (the behaviour is the same).
  const pds: TestPds = await startTestPds();
  const env = { QUEUE_BACKEND: "redis", QUEUE_PREFIX: prefix, RECONCILE_INTERVAL_SECONDS: "10", ...pds.env, ...redisEnv };
  const config = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", ...env });
  const ctx = createAppContext(config, { databaseUrl: testDb.url, secret });
  setAppContext(ctx);
  initPostQueue(ctx);
  let worker: WorkerProcess | undefined;
  const close = async () => {
    setAppContext(undefined);
    worker?.kill("SIGKILL");
    await worker?.exited;
    await withTimeout(getPostQueue(ctx).close(), 5000).catch(() => {});
    await ctx.database.close();
    await pds.close();
    await testDb.drop();
  };
  try {
    const { token } = await createTestUser(ctx, "admin");
    const accounts = await connectPdsAccounts(pds, token, ["foa", "fob"]);
    worker = startWorkerProcess({ DATABASE_URL: testDb.url, POSTMORE_SECRET: secret, LOG_LEVEL: "info", ...env });
    const published = async () =>
      (await ctx.database.pool.query("select count(*)::int as n from deliveries where status = 'published'")).rows[0].n as number;
    const rig: FailoverRig = {
      ctx,
      worker,
      async burst(perAccount, crash, timeoutMs = 150_000) {
        const scheduledAt = new Date(Date.now() + 2000).toISOString();
        for (let i = 0; i < perAccount; i++) {
          const res = await call(createPost, {
            method: "POST",
            token,
            body: { text: `fail-over post ${i}`, accountIds: accounts.map((a) => a.id), scheduledAt },
          });
          expect(res.status).toBe(201);
        }
        await waitFor("first publication", async () => (await published()) > 0, 60_000, 100);
        const total = perAccount * accounts.length;
        const atCrash = await published();
        const crashedAt = Date.now();
        await crash();
        await waitFor("every delivery published", async () => (await published()) === total, timeoutMs, 500);
        console.log(`fail-over: ${atCrash}/${total} published at the crash, all ${total} ${Date.now() - crashedAt} ms after it`);
        expect(atCrash).toBeLessThan(total);
        // On the PDS itself: every post exactly once per account (0 lost, 0 doubled).
        for (const a of accounts) {
          const texts = (await pds!.listPosts(a.did)).map((r) => r.value.text as string);
          expect(texts).toHaveLength(perAccount);
          expect(new Set(texts).size).toBe(perAccount);
        }
        const other = await ctx.database.pool.query("select status, count(*)::int as n from deliveries group by status");
        expect(other.rows).toEqual([{ status: "published", n: total }]);
        // The web side (this process's queue connection) follows the fail-over too.
        await waitFor("health ok on the new master", async () => {
          const res = await call(health);
          return res.status === 200 && res.body.queueBackend === "redis";
        }, 60_000, 500);
      },
      close,
    };
    return rig;
  } catch (err) {
    await close();
    throw err;
  }
}
