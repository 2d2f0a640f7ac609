/* global process, console */
// `npm start`, `npm run worker`, `npm run cli`, `npm run db:migrate`: runs the compiled entry
// dist/<name>.mjs in THIS process (no tsx, no wrapper process), after rebuilding what the code
// changed since the last build (a `git pull` needs no separate `npm run build`). `start` needs
// the web build too; the others only the server bundle, which takes a second.
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { SERVER_ENTRIES, buildParts, staleParts } from "./build.mjs";

const [name, ...rest] = process.argv.slice(2);
if (!SERVER_ENTRIES.includes(name)) {
  console.error(`usage: node scripts/launch.mjs ${SERVER_ENTRIES.join("|")} [args]`);
  process.exit(2);
}
process.env.NEXT_TELEMETRY_DISABLED = "1";

const stale = staleParts(name === "start" ? ["server", "web"] : ["server"]);
if (stale.length > 0) {
  const first = stale.includes("web") ? "(a minute or two)" : "(a few seconds)";
  console.error(`The code changed since the last build (or there is none yet): building ${stale.join(" and ")} ${first}…`);
  try {
    await buildParts(stale);
  } catch (err) {
    console.error(`build failed: ${err instanceof Error ? err.message : err}`);
    console.error("Dependencies missing? Run `npm install` (the build needs the dev dependencies), then try again.");
    process.exit(1);
  }
}

// The entry reads its own arguments from process.argv, as when run as `node dist/<name>.mjs …`.
const entry = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "dist", `${name}.mjs`);
process.argv = [process.argv[0], entry, ...rest];
await import(pathToFileURL(entry).href);
