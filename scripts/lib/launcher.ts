import fs from "node:fs";
import path from "node:path";

/** What the `npm start` launcher hands its web and worker children, and what it tells the operator. */

/**
 * The Next.js config as `next build` recorded it (.next/required-server-files.json), handed to
 * the web the way Next's own standalone server does (`__NEXT_PRIVATE_STANDALONE_CONFIG`).
 * Without it the web loads next.config.ts again at start-up, and with it the SWC compiler just
 * to transpile that file: ~22 MB of PSS in every web process (footprint bench, BENCHMARKS.md).
 * Headers and every other setting come from the build either way. No build yet, or a Next.js
 * that renames the variable: the web reads next.config.ts as before.
 */
export function builtNextConfigEnv(root: string): Record<string, string> {
  try {
    const files = JSON.parse(fs.readFileSync(path.join(root, ".next", "required-server-files.json"), "utf8")) as { config?: unknown };
    return files.config ? { __NEXT_PRIVATE_STANDALONE_CONFIG: JSON.stringify(files.config) } : {};
  } catch {
    return {};
  }
}

/**
 * The children's environment: the resolved database and secret, production mode, Next.js
 * telemetry off, and without the first admin's credentials (only the launcher creates that
 * account; a password has no business in the environment of long-running processes).
 */
export function childEnv(parent: NodeJS.ProcessEnv, resolved: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...parent, ...resolved, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" };
  delete env.ADMIN_PASSWORD;
  delete env.ADMIN_EMAIL;
  return env;
}

/** Which address the web app listens on, and how to keep it to this machine. */
export function listenBanner(hostname: string | undefined, port: number): string {
  if (hostname) return `The web app listens on ${hostname}:${port} (HOSTNAME=${hostname}).`;
  return (
    `The web app listens on every network interface (0.0.0.0:${port}): other machines can reach it.\n` +
    `To keep it on this machine only, start with HOSTNAME=127.0.0.1 npm start`
  );
}
