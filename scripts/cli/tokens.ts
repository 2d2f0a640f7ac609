import { createApiToken, listApiTokens, revokeApiToken } from "@/app/lib/auth/apiTokens";
import { hashPassword } from "@/app/lib/auth/password";
import { setPassword } from "@/app/lib/auth/sessions";
import { credentialsSchema } from "@/app/lib/auth/users";
import type { Database } from "@/app/lib/db/client";
import { findUserByEmail } from "@/app/lib/db/queries/users";
import { AppError } from "@/app/lib/errors";
import { openDatabase, requireOption, stringOption, type CliCommand } from "./command";

/** API tokens and passwords from the command line (docs/SECURITY.md). */

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

type Values = Record<string, string | boolean | undefined>;

/** A command on one existing user, named by --email, in an existing data dir. */
function userCommand(
  name: string,
  usage: string,
  options: CliCommand["options"],
  body: (database: Database, email: string, values: Values) => Promise<void>,
): CliCommand {
  return {
    name,
    usage,
    options: { email: { type: "string" }, ...options },
    async run({ config, values }) {
      const email = requireOption(values, "email");
      const { running, database } = await openDatabase(config);
      try {
        await body(database!, email, values);
        return 0;
      } finally {
        await database?.close();
        await running.stop();
      }
    },
  };
}

export const createToken = userCommand(
  "create-token",
  "--email E [--name N] [--expires 2027-01-31|30d] [--scope read|write]   (prints the token on its last line)",
  { name: { type: "string" }, expires: { type: "string" }, scope: { type: "string" } },
  async (database, email, values) => {
    const expires = parseExpiry(stringOption(values, "expires"));
    const scope = stringOption(values, "scope") ?? "write";
    if (scope !== "read" && scope !== "write") throw new AppError("validation_failed", "--scope must be read or write");
    const { token } = await createApiToken(database.db, email, stringOption(values, "name") ?? "cli", expires, scope);
    console.log(`API token for ${email} (shown once, keep it safe):`);
    console.log(token);
  },
);

export const listTokens = userCommand("list-tokens", "--email E", {}, async (database, email) => {
  const tokens = await listApiTokens(database.db, await userIdOf(database, email));
  if (tokens.length === 0) console.log(`no API tokens for ${email}`);
  for (const t of tokens) {
    console.log(`${t.id}  ${t.name}  ${t.scope}  created ${t.createdAt}  expires ${t.expiresAt ?? "never"}  last used ${t.lastUsedAt ?? "never"}`);
  }
});

export const revokeToken = userCommand("revoke-token", "--email E --id TOKEN_ID", { id: { type: "string" } }, async (database, email, values) => {
  const id = stringOption(values, "id");
  if (!id || !/^[0-9a-f-]{36}$/i.test(id)) throw new AppError("validation_failed", "--id TOKEN_ID is required (see list-tokens)");
  await revokeApiToken(database.db, await userIdOf(database, email), id);
  console.log(`revoked token ${id}`);
});

export const setPasswordCommand = userCommand(
  "set-password",
  "--email E --password P     (ends every session of that user)",
  { password: { type: "string" } },
  async (database, email, values) => {
    const password = credentialsSchema.shape.password.safeParse(stringOption(values, "password") ?? "");
    if (!password.success) throw new AppError("validation_failed", "--password of at least 8 characters is required");
    const ended = await setPassword(database.db, await userIdOf(database, email), await hashPassword(password.data));
    console.log(`password changed for ${email}; ${ended} session(s) ended`);
  },
);
