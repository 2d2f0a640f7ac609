import type { Worker } from "bullmq";
import type { AppContext } from "../context";
import { logger } from "../logger";
import { POST_QUEUE, processPostJob, type PostJobData } from "./postQueue";
import { startReconciler, type Reconciler } from "./reconciler";
import { TOKEN_REFRESH_QUEUE, tokenRefreshProcessor, type TokenRefreshJobData } from "./tokenRefreshQueue";
import { createWebhookWorker } from "../webhooks/queue";
import { startWebhookRelay, type WebhookRelay } from "../webhooks/relay";

const log = logger("worker");

/** How long a shutdown waits for in-flight jobs before closing anyway (their jobs run again elsewhere). */
export const SHUTDOWN_GRACE_MS = 25_000;

/** `autorun: false` lets a caller (the benchmark) start it with `worker.run()` once a burst is queued. */
export function createPostWorker(ctx: AppContext, opts: { autorun?: boolean } = {}): Worker<PostJobData> {
  const worker = ctx.queues.createWorker<PostJobData>(
    POST_QUEUE,
    (job, token) => processPostJob(ctx, job.data, job, token),
    {
      concurrency: ctx.config.concurrency.posts,
      autorun: opts.autorun ?? true,
      // Short locks, renewed while the job runs, and a frequent stalled check: a delivery whose
      // worker was killed runs again within seconds of another worker being up. Publishing is
      // idempotent, so a job taken for stalled by mistake (a long GC pause) costs nothing but a
      // second look; hence a few stalls are allowed before BullMQ gives up on the job.
      lockDuration: ctx.config.jobLocks.lockDurationMs,
      stalledInterval: ctx.config.jobLocks.stalledIntervalMs,
      maxStalledCount: 3,
    },
  );
  worker.on("failed", (job, err) => {
    if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) log.warn({ jobId: job.id }, `post job failed: ${err.message}`);
  });
  // Store errors are logged (rate-limited) and backed off by the queue backend: a line per
  // error here was 285,788 lines in 20 s against a Redis answering MOVED.
  return worker;
}

/** The token refresh worker (seed: 2 concurrent jobs; TOKEN_REFRESH_WORKER_CONCURRENCY). */
export function createTokenRefreshWorker(ctx: AppContext): Worker<TokenRefreshJobData> {
  const worker = ctx.queues.createWorker<TokenRefreshJobData>(TOKEN_REFRESH_QUEUE, tokenRefreshProcessor(ctx), {
    concurrency: ctx.config.concurrency.tokenRefresh,
  });
  return worker;
}

export interface RunningWorkers {
  workers: Worker[];
  reconciler: Reconciler;
  /** Puts the webhook outbox on the "webhooks" queue. */
  webhookRelay: WebhookRelay;
  /** Stops taking jobs, lets in-flight ones finish (bounded by SHUTDOWN_GRACE_MS), closes. */
  close(graceMs?: number): Promise<void>;
}

export async function startWorkers(ctx: AppContext): Promise<RunningWorkers> {
  const workers: Worker[] = [];
  workers.push(createPostWorker(ctx) as Worker);
  workers.push(createTokenRefreshWorker(ctx) as Worker);
  workers.push(createWebhookWorker(ctx) as Worker);
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  const reconciler = startReconciler(ctx);
  const webhookRelay = startWebhookRelay(ctx);
  log.info({ workers: workers.map((w) => w.name), concurrency: ctx.config.concurrency }, "workers started");

  let closing: Promise<void> | undefined;
  const close = (graceMs = SHUTDOWN_GRACE_MS) =>
    (closing ??= (async () => {
      await reconciler.stop();
      await webhookRelay.stop();
      const graceful = Promise.all(workers.map((w) => w.close())).then(() => "closed" as const);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), graceMs);
      });
      const how = await Promise.race([graceful, timeout]);
      clearTimeout(timer);
      if (how === "timeout") {
        log.warn({ graceMs }, "in-flight jobs did not finish in time; closing anyway (they will run again)");
        await Promise.all(workers.map((w) => w.close(true)));
      }
      log.info("workers closed");
    })());
  return { workers, reconciler, webhookRelay, close };
}

/** SIGTERM/SIGINT: finish in-flight jobs (bounded), then run `onClosed` (closing connections, exiting). */
export function closeOnSignals(running: RunningWorkers, onClosed: () => Promise<void> | void): void {
  const handler = (signal: NodeJS.Signals) => {
    log.info({ signal }, "shutting down");
    void running
      .close()
      .then(onClosed)
      .catch((err: unknown) => log.error({ err }, "shutdown failed"));
  };
  process.once("SIGTERM", handler);
  process.once("SIGINT", handler);
}
