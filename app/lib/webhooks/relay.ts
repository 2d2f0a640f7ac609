import type { AppContext } from "../context";
import { deleteEventsBefore, hasUnqueuedDeliveries, pendingQueuedBefore, relayUnqueuedDeliveries } from "../db/queries/webhooks";
import { logger } from "../logger";
import { addWebhookJobs, getWebhookQueue, webhookJobId } from "./queue";

const log = logger("webhook-relay");

/**
 * The outbox relay, run by every worker process. Triggers record events in the transaction of
 * the change they report; this puts them on the "webhooks" queue. Between the two a process may
 * die: the rows stay unmarked and the next pass (here or in another worker) queues them.
 */

const BATCH = 500;
/** A pending delivery queued longer ago than this has its job looked for (a wiped Redis loses jobs). */
const CHECK_AFTER_MS = 10 * 60_000;
const CHECK_EVERY_MS = 5 * 60_000;
const KEEP_EVENTS_DAYS = 30;

/** Queues every delivery still in the outbox; returns how many. */
export async function relayWebhookOutbox(ctx: AppContext): Promise<number> {
  // Every worker runs this every 2 s; nearly always there is nothing to do.
  if (!(await hasUnqueuedDeliveries(ctx.database.db))) return 0;
  let total = 0;
  for (;;) {
    const n = await relayUnqueuedDeliveries(ctx.database.db, BATCH, (ids) => addWebhookJobs(ctx, ids));
    total += n;
    if (n < BATCH) return total;
  }
}

/** Pending deliveries whose job is gone get it back; old events are pruned. */
async function checkQueued(ctx: AppContext): Promise<void> {
  const queue = getWebhookQueue(ctx);
  const ids = await pendingQueuedBefore(ctx.database.db, new Date(Date.now() - CHECK_AFTER_MS), BATCH);
  const missing: string[] = [];
  for (const id of ids) if (!(await queue.getJob(webhookJobId(id)))) missing.push(id);
  if (missing.length > 0) {
    await addWebhookJobs(ctx, missing);
    log.warn({ count: missing.length }, "webhook deliveries had lost their jobs; queued again");
  }
  await deleteEventsBefore(ctx.database.db, new Date(Date.now() - KEEP_EVENTS_DAYS * 86_400_000));
}

export interface WebhookRelay {
  stop(): Promise<void>;
}

export function startWebhookRelay(ctx: AppContext): WebhookRelay {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let lastCheck = Date.now();
  const pass = async () => {
    try {
      await relayWebhookOutbox(ctx);
      if (Date.now() - lastCheck > CHECK_EVERY_MS) {
        lastCheck = Date.now();
        await checkQueued(ctx);
      }
    } catch (err) {
      log.warn({ err: err instanceof Error ? err.message : String(err) }, "webhook relay pass failed; the next one retries");
    }
  };
  const loop = () => {
    if (stopped) return;
    running = pass().finally(() => {
      if (!stopped) timer = setTimeout(loop, ctx.config.webhooks.relayIntervalMs);
    });
  };
  loop();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
