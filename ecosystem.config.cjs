/* global __dirname */
// PM2 process file: `pm2 start ecosystem.config.cjs`. Set DATABASE_URL, POSTMORE_SECRET and
// REDIS_* in the environment PM2 starts from (or in an env file it loads). Run
// `npm run build && npm run db:migrate` before the first start and after every upgrade, then
// `pm2 reload ecosystem.config.cjs` (see docs/UPGRADING.md).
// Every process runs compiled JavaScript (dist/, .next/): no TypeScript loader, any Node >= 20.9.
const path = require("node:path");

const count = (name, fallback) => {
  const n = Number.parseInt(process.env[name] ?? "", 10);
  return Number.isFinite(n) && n > 0 ? n : fallback;
};
const env = { NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" };

module.exports = {
  apps: [
    {
      name: "postmore-web",
      cwd: __dirname,
      // dist/web.mjs serves the Next.js build (.next/) and reads PORT and HOSTNAME itself. Unlike
      // `next start` it binds the port only once the app answers its health check, so PM2's
      // 'listening' means ready: `pm2 reload` stops an old instance only when its successor serves.
      script: path.join(__dirname, "dist/web.mjs"),
      // Cluster mode: the instances share one port, and `pm2 reload` replaces them one at a time,
      // so some instance always accepts connections (one fork-mode web refused them while it restarted).
      instances: count("POSTMORE_WEB_INSTANCES", 2),
      exec_mode: "cluster",
      env,
      // How long `pm2 reload` waits for the new instance to listen before stopping the old one
      // anyway (PM2's default is 3 s); the web warms up for at most 60 s first.
      listen_timeout: 90000,
      // On PM2's SIGINT the web stops accepting, finishes in-flight requests, then exits.
      kill_timeout: 30000,
    },
    {
      name: "postmore-worker",
      cwd: __dirname,
      script: path.join(__dirname, "dist/worker.mjs"),
      instances: count("POSTMORE_WORKER_INSTANCES", 2),
      exec_mode: "fork",
      env,
      // The worker finishes or hands back in-flight jobs within its own grace period (< 30 s).
      kill_timeout: 35000,
    },
  ],
};
