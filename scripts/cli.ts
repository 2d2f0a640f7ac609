import { parseArgs } from "node:util";
import { createUser } from "@/app/lib/auth/users";
import { AppError } from "@/app/lib/errors";
import { configOrExit, prepareDatabase } from "./lib/prepare";
import { runTokenCommand, TOKEN_COMMANDS, TOKEN_USAGE } from "./lib/tokenCommands";

const USAGE = `usage:
  npm run cli -- create-admin --email E --password P
  npm run cli -- create-user  --email E --password P
${TOKEN_USAGE}`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  strict: false,
  options: { email: { type: "string" }, password: { type: "string" }, name: { type: "string" } },
});
const command = positionals[0] ?? "";
if (!["create-admin", "create-user", ...TOKEN_COMMANDS].includes(command) || typeof values.email !== "string") {
  console.error(USAGE);
  process.exit(2);
}
const email = values.email;

async function main(): Promise<number> {
  const config = configOrExit();
  const { running, database } = await prepareDatabase(config);
  let exitCode = 0;
  try {
    if (TOKEN_COMMANDS.includes(command)) {
      await runTokenCommand(command, process.argv.slice(2), database);
    } else {
      if (typeof values.password !== "string") throw new AppError("validation_failed", "--password is required");
      const role = command === "create-admin" ? "admin" : "user";
      const user = await createUser(database.db, { email, password: values.password, role });
      console.log(`created ${user.role} ${user.email}`);
    }
  } catch (err) {
    console.error(err instanceof AppError ? `error: ${err.message}` : err);
    exitCode = 1;
  } finally {
    await database.close();
    await running.stop();
  }
  return exitCode;
}

void main().then((code) => process.exit(code));
