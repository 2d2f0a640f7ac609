import { describeBackends } from "@/app/lib/config";
import { logger } from "@/app/lib/logger";
import { closeOnSignals, startWorkers } from "@/app/lib/queues/worker";
import { getPostQueue } from "@/app/lib/queues/postQueue";
import { exitIfDatabaseBehind, initApp } from "@/app/lib/startup";
import { configOrExit } from "./lib/settings";
import { getWebhookQueue } from "@/app/lib/webhooks/queue";

/** `npm run worker`: the queue workers, as their own process (never inside Next.js). */
async function main() {
  configOrExit(); // a bad setting is one message listing every problem, not a stack trace
  const ctx = initApp();
  const log = logger("worker-main");
  log.info({ queueBackend: ctx.queues.kind }, `worker starting — ${describeBackends(ctx.config)}`);
  await exitIfDatabaseBehind(ctx);
  const running = await startWorkers(ctx);
  closeOnSignals(running, async () => {
    await getPostQueue(ctx).close();
    await getWebhookQueue(ctx).close();
    await ctx.database.close();
    process.exit(0);
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
