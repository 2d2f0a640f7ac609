/** What the `npm start` launcher hands its web and worker children, and what it tells the operator. */

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
