import { POST as connect } from "@/app/api/accounts/route";
import { startWeb, waitForHealth, type Proc } from "@/e2e/servers";
import { freePort } from "@/test/helpers/freePort";
import { call } from "@/test/helpers/http";
import { startTestPds, type TestAccount, type TestPds } from "@/test/helpers/pds";
import { createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";
import { startWorkerProcess, type WorkerProcess } from "@/test/helpers/workerProcess";
import { inject } from "vitest";

/** What the automation tests run against: the built web app (and optionally a worker) on a real PDS. */
export interface Stack {
  t: TestContext;
  pds: TestPds;
  web: Proc;
  url: string;
  /** Environment of the web and worker processes (database, secret, queue). */
  env: Record<string, string>;
  user: { token: string; accountId: string; account: TestAccount };
  close(): Promise<void>;
}

export async function startStack(opts: { role: "admin" | "user"; worker: boolean }): Promise<Stack> {
  // Identities resolve with the local PLC and PDS, reached through the outbound allowlist.
  const pds = await startTestPds();
  const t = await createTestContext("redis", pds.env);
  const { token } = await createTestUser(t.ctx, opts.role);
  const account = await pds.createAccount("auto");
  const res = await call(connect, {
    method: "POST",
    token,
    body: { platform: "bluesky", identifier: account.handle, appPassword: account.appPassword, service: pds.url },
  });
  if (res.status !== 201) throw new Error(`connecting the test account failed: ${JSON.stringify(res.body)}`);
  const env = {
    DATABASE_URL: t.databaseUrl,
    POSTMORE_SECRET: t.secret,
    POSTMORE_DATA_DIR: t.ctx.config.dataDir,
    QUEUE_BACKEND: "redis",
    REDIS_HOST: "127.0.0.1",
    REDIS_PORT: String(inject("redisPort")),
    QUEUE_PREFIX: t.prefix,
    LOG_LEVEL: "warn",
    ...pds.env,
  };
  const worker: WorkerProcess | undefined = opts.worker ? startWorkerProcess(env) : undefined;
  const { web, url } = await startWebOnFreePort(env);
  return {
    t,
    pds,
    web,
    url,
    env,
    user: { token, accountId: res.body.account.id as string, account },
    async close() {
      worker?.kill("SIGKILL");
      await web.stop();
      await pds.close();
      await t.close();
    },
  };
}

/**
 * freePort's port can be taken by another process before `next start` binds it (suites and
 * other test runs share the machine): on EADDRINUSE, start again on another port.
 */
async function startWebOnFreePort(env: Record<string, string>): Promise<{ web: Proc; url: string }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const web = startWeb(port, { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "production", ...env } as NodeJS.ProcessEnv);
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitForHealth(url, web);
      return { web, url };
    } catch (err) {
      await web.stop();
      if (attempt >= 3 || !web.output().includes("EADDRINUSE")) throw err;
    }
  }
}
