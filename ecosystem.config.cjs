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
      script: path.join(__dirname, "node_modules/next/dist/bin/next"),
      args: `start -p ${process.env.PORT ?? "3000"}${process.env.HOSTNAME ? ` -H ${process.env.HOSTNAME}` : ""}`,
      // Cluster mode: the instances share one port, and `pm2 reload` replaces them one at a time,
      // so some instance always accepts connections (one fork-mode web refused them while it restarted).
      instances: count("POSTMORE_WEB_INSTANCES", 2),
      exec_mode: "cluster",
      env,
      // Next.js stops accepting, finishes in-flight requests, then exits on PM2's SIGINT.
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
