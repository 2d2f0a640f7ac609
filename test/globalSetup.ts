import type { TestProject } from "vitest/node";
import { startTestPostgres } from "./helpers/embeddedPg";
import { startTestRedis } from "./helpers/redis";
import { ensureBuild } from "../e2e/servers";

/**
 * One PostgreSQL cluster and one Redis for the whole run; each suite gets its own database and
 * key prefix. The production web build is made here, once, before any suite that serves it
 * (two `next build`s into one .next at the same time would corrupt it).
 */
export default async function setup(project: TestProject) {
  const [pg, redis] = await Promise.all([
    startTestPostgres(),
    startTestRedis(),
    ensureBuild((line) => console.log(`[globalSetup] ${line}`)),
  ]).then(([p, r]) => [p, r] as const);
  project.provide("pgPort", pg.port);
  project.provide("redisPort", await redis.getPort());
  return async () => {
    await Promise.allSettled([pg.close(), redis.stop()]);
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    pgPort: number;
    redisPort: number;
  }
}
