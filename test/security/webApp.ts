import { startWeb, waitForHealth, type Proc } from "@/e2e/servers";
import { freePort } from "@/test/helpers/freePort";
import type { TestContext } from "@/test/helpers/testContext";

/** The production build (`next start`) on the suite's database, one process per env given. */
export interface WebApp {
  url: string;
  proc: Proc;
}

export async function startWebApps(t: TestContext, envs: Array<Record<string, string>>): Promise<WebApp[]> {
  const apps: WebApp[] = [];
  for (const extra of envs) {
    const port = await freePort();
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: "production",
      DATABASE_URL: t.databaseUrl,
      POSTMORE_SECRET: t.secret,
      QUEUE_BACKEND: "postgres",
      LOG_LEVEL: "warn",
      ...extra,
    } as NodeJS.ProcessEnv;
    apps.push({ url: `http://127.0.0.1:${port}`, proc: startWeb(port, env) });
  }
  await Promise.all(apps.map((a) => waitForHealth(a.url, a.proc)));
  return apps;
}

/** Resident memory of a process and its descendants, in bytes (Linux /proc). */
export async function rssOfTree(pid: number): Promise<number> {
  const fs = await import("node:fs/promises");
  let total = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    try {
      const status = await fs.readFile(`/proc/${p}/status`, "utf8");
      total += Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
      const tasks = await fs.readdir(`/proc/${p}/task`);
      for (const task of tasks) {
        const children = await fs.readFile(`/proc/${p}/task/${task}/children`, "utf8").catch(() => "");
        stack.push(...children.split(" ").filter(Boolean).map(Number));
      }
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

/** The `name=value` part of a Set-Cookie header. */
export const cookiePair = (res: Response): string => (res.headers.get("set-cookie") ?? "").split(";")[0]!;
