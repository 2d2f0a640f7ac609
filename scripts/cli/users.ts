import { createUser } from "@/app/lib/auth/users";
import { initialisedLine, openDatabase, requireOption, type CliCommand } from "./command";

function userCommand(name: "create-admin" | "create-user"): CliCommand {
  const role = name === "create-admin" ? "admin" : "user";
  return {
    name,
    usage: "--email E --password P",
    options: { email: { type: "string" }, password: { type: "string" } },
    async run({ config, values }) {
      const email = requireOption(values, "email");
      const password = requireOption(values, "password");
      // The first admin is how a new install starts: only create-admin may initialise a data dir.
      const { running, database, initialised } = await openDatabase(config, { initialise: role === "admin" });
      try {
        if (initialised) console.log(initialisedLine(config));
        const user = await createUser(database!.db, { email, password, role });
        console.log(`created ${user.role} ${user.email}`);
        return 0;
      } finally {
        await database?.close();
        await running.stop();
      }
    },
  };
}

export const createAdmin = userCommand("create-admin");
export const createUserCommand = userCommand("create-user");
