// PM2 process file: `pm2 start ecosystem.config.cjs`. Set DATABASE_URL, POSTMORE_SECRET and
// REDIS_* in the environment PM2 starts from (or in an env file it loads). Run
// `npm run db:migrate && npm run build` before the first start and after every upgrade.
const workers = Number.parseInt(process.env.POSTMORE_WORKER_INSTANCES ?? "2", 10);

module.exports = {
  apps: [
    {
      name: "postmore-web",
      script: "node_modules/next/dist/bin/next",
      args: "start",
      instances: 1,
      exec_mode: "fork",
      env: { NODE_ENV: "production" },
      // Let in-flight requests finish after SIGTERM before PM2 escalates to SIGKILL.
      kill_timeout: 30000,
    },
    {
      name: "postmore-worker",
      script: "scripts/worker.ts",
      // Load TypeScript through tsx inside the worker process itself, so PM2's signals reach it.
      node_args: "--import tsx",
      instances: Number.isFinite(workers) && workers > 0 ? workers : 2,
      exec_mode: "fork",
      env: { NODE_ENV: "production" },
      // The worker finishes or hands back in-flight jobs within its own grace period (< 30 s).
      kill_timeout: 35000,
    },
  ],
};
