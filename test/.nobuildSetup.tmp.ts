import type { TestProject } from "vitest/node";
import { startTestPostgres } from "./helpers/embeddedPg";
import { startTestRedis } from "./helpers/redis";
export default async function setup(project: TestProject) {
  const [pg, redis] = await Promise.all([startTestPostgres(), startTestRedis()]);
  project.provide("pgPort", pg.port);
  project.provide("redisPort", await redis.getPort());
  return async () => { await Promise.allSettled([pg.close(), redis.stop()]); };
}
