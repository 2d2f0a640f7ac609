import { parseArgs } from "node:util";
import { createApiToken, listApiTokens, revokeApiToken } from "@/app/lib/auth/apiTokens";
import { hashPassword } from "@/app/lib/auth/password";
import { setPassword } from "@/app/lib/auth/sessions";
import { credentialsSchema } from "@/app/lib/auth/users";
import type { Database } from "@/app/lib/db/client";
import { findUserByEmail } from "@/app/lib/db/queries/users";
import { AppError } from "@/app/lib/errors";

/** API tokens and passwords from the command line (docs/SECURITY.md). */
export const TOKEN_COMMANDS = ["create-token", "list-tokens", "revoke-token", "set-password"];

export const TOKEN_USAGE = `  npm run cli -- create-token --email E [--name N] [--expires 2027-01-31|30d]   (prints the token on its last line)
  npm run cli -- list-tokens  --email E
  npm run cli -- revoke-token --email E --id TOKEN_ID
  npm run cli -- set-password --email E --password P     (ends every session of that user)`;

/** `--expires`: an ISO date/time, or a number of days such as `30d`. */
export function parseExpiry(value: string | undefined, now = Date.now()): Date | null {
  if (value === undefined) return null;
  const days = /^(\d{1,5})d$/.exec(value)?.[1];
  const at = days ? new Date(now + Number(days) * 86_400_000) : new Date(value);
  if (Number.isNaN(at.getTime()) || at.getTime() <= now) {
    throw new AppError("validation_failed", "--expires must be a future date (2027-01-31) or a number of days (30d)");
  }
  return at;
}

async function userIdOf(database: Database, email: string): Promise<string> {
  const user = await findUserByEmail(database.db, email.trim());
  if (!user) throw new AppError("not_found", `no user with email ${email}`);
  return user.id;
}

export async function runTokenCommand(command: string, argv: string[], database: Database): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { email: { type: "string" }, name: { type: "string" }, expires: { type: "string" }, id: { type: "string" }, password: { type: "string" } },
  });
  if (!values.email) throw new AppError("validation_failed", "--email is required");
  const email = values.email;
  if (command === "create-token") {
    const { token } = await createApiToken(database.db, email, values.name ?? "cli", parseExpiry(values.expires));
    console.log(`API token for ${email} (shown once, keep it safe):`);
    console.log(token);
  } else if (command === "list-tokens") {
    const tokens = await listApiTokens(database.db, await userIdOf(database, email));
    if (tokens.length === 0) console.log(`no API tokens for ${email}`);
    for (const t of tokens) {
      console.log(`${t.id}  ${t.name}  created ${t.createdAt}  expires ${t.expiresAt ?? "never"}  last used ${t.lastUsedAt ?? "never"}`);
    }
  } else if (command === "revoke-token") {
    if (!values.id || !/^[0-9a-f-]{36}$/i.test(values.id)) throw new AppError("validation_failed", "--id TOKEN_ID is required (see list-tokens)");
    await revokeApiToken(database.db, await userIdOf(database, email), values.id);
    console.log(`revoked token ${values.id}`);
  } else if (command === "set-password") {
    const password = credentialsSchema.shape.password.safeParse(values.password ?? "");
    if (!password.success) throw new AppError("validation_failed", "--password of at least 8 characters is required");
    const ended = await setPassword(database.db, await userIdOf(database, email), await hashPassword(password.data));
    console.log(`password changed for ${email}; ${ended} session(s) ended`);
  }
}
