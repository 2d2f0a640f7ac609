import type { TestProject } from "vitest/node";
import { startTestPostgres } from "./helpers/embeddedPg";
import { startTestRedis } from "./helpers/redis";

/** One PostgreSQL cluster and one Redis for the whole run; each suite gets its own database and key prefix. */
export default async function setup(project: TestProject) {
  const [pg, redis] = await Promise.all([startTestPostgres(), startTestRedis()]);
  project.provide("pgPort", pg.port);
  project.provide("redisPort", await redis.getPort());
  return async () => {
    await Promise.allSettled([pg.stop(), redis.stop()]);
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    pgPort: number;
    redisPort: number;
  }
}
