import { parseArgs } from "node:util";
import { createApiToken } from "@/app/lib/auth/apiTokens";
import { createUser } from "@/app/lib/auth/users";
import { AppError } from "@/app/lib/errors";
import { configOrExit, prepareDatabase } from "./lib/prepare";
import { rotateSecretCommand } from "./rotateSecret";

const USAGE = `usage:
  npm run cli -- create-admin --email E --password P
  npm run cli -- create-user  --email E --password P
  npm run cli -- create-token --email E [--name N]     (prints the token on its last line)
  npm run cli -- rotate-secret                         (re-encrypts stored credentials; see docs/PRODUCTION.md)`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { email: { type: "string" }, password: { type: "string" }, name: { type: "string" } },
});
const command = positionals[0];
const rotate = command === "rotate-secret";
if (!rotate && (!command || !["create-admin", "create-user", "create-token"].includes(command) || !values.email)) {
  console.error(USAGE);
  process.exit(2);
}
const email = values.email ?? "";

async function main(): Promise<number> {
  if (rotate) return rotateSecretCommand();
  const config = configOrExit();
  const { running, database } = await prepareDatabase(config);
  let exitCode = 0;
  try {
    if (command === "create-token") {
      const { token } = await createApiToken(database.db, email, values.name ?? "cli");
      console.log(`API token for ${email} (shown once, keep it safe):`);
      console.log(token);
    } else {
      if (!values.password) throw new AppError("validation_failed", "--password is required");
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
