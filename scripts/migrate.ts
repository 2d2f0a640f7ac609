import { configOrExit, prepareDatabase } from "./lib/prepare";

/** `npm run db:migrate`: applies PostMore's migrations (and BullMQ's when it queues on PostgreSQL). */
async function main(): Promise<void> {
  const config = configOrExit();
  const { running, database } = await prepareDatabase(config);
  console.log(`migrations applied (${running.embedded ? "embedded PostgreSQL" : "DATABASE_URL"})`);
  await database.close();
  await running.stop();
}

void main();
