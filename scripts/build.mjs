/* global process, console */
// `npm run build`: the production build, in two parts, each with a build stamp (a hash of
// the sources it was built from) so `npm start` can tell when the code changed since:
//   server: scripts/{start,worker,cli,migrate,mcp,web}.ts compiled by esbuild into dist/*.mjs
//           (our code bundled, node_modules left external), a second or two;
//   web:    `next build` into .next/, a minute or two.
// `node scripts/build.mjs --if-stale [server|web]` builds only the parts whose sources changed.
// Plain JavaScript on purpose: it must run before anything is compiled, without tsx.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);

export const SERVER_ENTRIES = ["start", "worker", "cli", "migrate", "mcp", "web"];

const PARTS = {
  server: {
    inputs: ["app", "scripts", "tsconfig.json", "package-lock.json"],
    stamp: path.join(root, "dist", "build-stamp.json"),
    done: () => SERVER_ENTRIES.every((e) => fs.existsSync(path.join(root, "dist", `${e}.mjs`))),
  },
  web: {
    inputs: ["app", "public", "types", "next.config.ts", "proxy.ts", "instrumentation.ts", "tsconfig.json", "package-lock.json"],
    stamp: path.join(root, ".next", "postmore-build-stamp.json"),
    done: () => fs.existsSync(path.join(root, ".next", "BUILD_ID")),
  },
};

/** Tests are not part of what runs in production: editing one never forces a rebuild. */
const isTest = (name) => name === "__tests__" || /\.test\.tsx?$/.test(name);

function listFiles(rel, out) {
  const abs = path.join(root, rel);
  if (!fs.existsSync(abs)) return;
  if (fs.statSync(abs).isFile()) {
    out.push(rel);
    return;
  }
  for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
    if (isTest(entry.name) || entry.name === "node_modules") continue;
    listFiles(path.join(rel, entry.name), out);
  }
}

/** sha256 over the paths and contents of every input file of a part. */
export function sourceHash(part) {
  const files = [];
  for (const input of PARTS[part].inputs) listFiles(input, files);
  const hash = createHash("sha256");
  for (const file of files.sort()) {
    hash.update(`${file}\0`);
    hash.update(fs.readFileSync(path.join(root, file)));
    hash.update("\0");
  }
  return hash.digest("hex");
}

/** The parts whose build is missing or was made from other sources than the ones here now. */
export function staleParts(parts = ["server", "web"]) {
  return parts.filter((part) => {
    if (!PARTS[part].done()) return true;
    try {
      return JSON.parse(fs.readFileSync(PARTS[part].stamp, "utf8")).hash !== sourceHash(part);
    } catch {
      return true;
    }
  });
}

function writeStamp(part, hash) {
  fs.mkdirSync(path.dirname(PARTS[part].stamp), { recursive: true });
  fs.writeFileSync(PARTS[part].stamp, JSON.stringify({ hash, builtAt: new Date().toISOString() }) + "\n");
}

async function buildServer() {
  const { build, stop } = await import("esbuild");
  fs.rmSync(path.join(root, "dist"), { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints: SERVER_ENTRIES.map((e) => `scripts/${e}.ts`),
    outdir: "dist",
    outExtension: { ".js": ".mjs" },
    bundle: true,
    splitting: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // Our code is bundled (the `@/` paths come from tsconfig.json); dependencies load from node_modules.
    packages: "external",
    logLevel: "warning",
  });
  await stop(); // esbuild's service process would otherwise stay alive inside `npm start`
}

function buildWeb() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [require.resolve("next/dist/bin/next"), "build"], {
      cwd: root,
      env: { ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" },
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`next build failed with exit code ${code}`))));
  });
}

/** Builds the given parts and stamps each with the hash of the sources it was built from. */
export async function buildParts(parts) {
  for (const part of parts) {
    const hash = sourceHash(part); // taken before building: a file saved meanwhile makes the next check stale
    if (part === "server") await buildServer();
    else await buildWeb();
    writeStamp(part, hash);
    console.log(`built ${part} (${part === "server" ? "dist/" : ".next/"})`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const ifStale = args.includes("--if-stale");
  const named = args.filter((a) => a === "server" || a === "web");
  const wanted = named.length > 0 ? named : ["server", "web"];
  const parts = ifStale ? staleParts(wanted) : wanted;
  buildParts(parts).then(
    () => process.exit(0),
    (err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
