import type { TestProject } from "vitest/node";
import { startTestPostgres } from "../helpers/embeddedPg";
import { startTestRedis } from "../helpers/redis";

/**
 * test/globalSetup.ts without its `next build`: the chaos scenarios never serve the web app,
 * and a build there (whenever an app file is newer than .next) costs minutes and collides with
 * any other build in progress. Provides the same shared PostgreSQL and Redis.
 */
export default async function setup(project: TestProject) {
  const [pg, redis] = await Promise.all([startTestPostgres(), startTestRedis()]);
  project.provide("pgPort", pg.port);
  project.provide("redisPort", await redis.getPort());
  return async () => {
    await Promise.allSettled([pg.close(), redis.stop()]);
  };
}
