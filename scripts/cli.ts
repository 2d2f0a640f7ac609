import { parseArgs } from "node:util";
import { AppError } from "@/app/lib/errors";
import type { CliCommand } from "./cli/command";
import { backup, doctor, restore } from "./cli/lifecycle";
import { createAdmin, createUserCommand } from "./cli/users";
import { createToken, listTokens, revokeToken, setPasswordCommand } from "./cli/tokens";
import { configOrExit } from "./lib/prepare";
import { rotateSecretCommand } from "./rotateSecret";

/** `npm run cli -- <command> …`. Each command lives in scripts/cli/; add new ones to this table. */
const COMMANDS: CliCommand[] = [
  createAdmin,
  createUserCommand,
  createToken,
  listTokens,
  revokeToken,
  setPasswordCommand,
  backup,
  restore,
  doctor,
  { name: "rotate-secret", usage: "   (re-encrypts stored credentials under a new key; see docs/PRODUCTION.md)", options: {}, run: rotateSecretCommand },
];

const usage = () => `usage:\n${COMMANDS.map((c) => `  npm run cli -- ${c.name} ${c.usage}`).join("\n")}`;

async function main(argv: string[]): Promise<number> {
  const command = COMMANDS.find((c) => c.name === argv[0]);
  if (!command) {
    console.error(usage());
    return 2;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv.slice(1), allowPositionals: true, options: command.options });
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\nusage: npm run cli -- ${command.name} ${command.usage}`);
    return 2;
  }
  const config = configOrExit();
  try {
    // No command declares `multiple`, so every value is a string or a boolean.
    const values = parsed.values as Record<string, string | boolean | undefined>;
    return await command.run({ config, values, positionals: parsed.positionals });
  } catch (err) {
    console.error(err instanceof AppError ? `error: ${err.message}` : err);
    return 1;
  }
}

void main(process.argv.slice(2)).then((code) => process.exit(code));
