import { createPostgresBackend, Queue, Worker, type ConnectionOptions, type Processor, type QueueOptions, type WorkerOptions } from "bullmq";
import { BullMQOtel } from "bullmq-otel";
import type { Config, QueueBackendKind } from "../config";
import { logger } from "../logger";

/**
 * The one module that knows which store BullMQ runs on. Everything else asks it for a
 * Queue or a Worker and uses the same BullMQ API on either backend.
 */
export interface QueueBackend {
  kind: QueueBackendKind;
  createQueue<D>(name: string, opts?: Omit<QueueOptions, "connection">): Queue<D>;
  createWorker<D>(name: string, processor: Processor<D>, opts?: Omit<WorkerOptions, "connection">): Worker<D>;
}

export interface QueueBackendSettings {
  kind: QueueBackendKind;
  /** Redis connection options (ioredis) when kind is "redis". */
  redis?: ConnectionOptions;
  /** Key prefix on Redis (hash-tagged so every key of a queue lands on one Cluster slot). */
  prefix?: string;
  /** PostgreSQL connection string and BullMQ schema when kind is "postgres". */
  postgres?: { connectionString: string; schema: string; max?: number };
  /** Trace jobs through OpenTelemetry (BullMQ's telemetry hook). */
  tracing?: boolean;
}

export function queueBackendSettings(config: Config, databaseUrl: string): QueueBackendSettings {
  const tracing = config.otelTracing;
  if (config.queue.backend === "postgres") {
    return { kind: "postgres", postgres: { connectionString: databaseUrl, schema: "bullmq" }, tracing };
  }
  return { kind: "redis", redis: redisConnectionOptions(config), prefix: config.queue.prefix, tracing };
}

/**
 * ioredis options from the config: URL, host/port/password, TLS, or Sentinel. Workers need
 * `maxRetriesPerRequest: null` (BullMQ blocks on Redis); ioredis then reconnects forever.
 */
export function redisConnectionOptions(config: Config): ConnectionOptions {
  const r = config.queue.redis;
  const common = { maxRetriesPerRequest: null, ...(r.tls ? { tls: {} } : {}) };
  if (r.sentinels.length > 0) {
    return { ...common, sentinels: r.sentinels, name: r.sentinelName, password: r.password, sentinelPassword: r.password };
  }
  if (r.url) return { ...common, url: r.url };
  return { ...common, host: r.host, port: r.port, password: r.password };
}

const log = logger("queue-backend");

/**
 * Connection errors (Redis or PostgreSQL restarting) are retried by BullMQ forever; log them
 * once per 30 s per queue instead of one console line per reconnect attempt.
 */
function quietErrors<T extends { on(event: "error", listener: (err: Error) => void): unknown }>(emitter: T, name: string): T {
  let lastLogged = 0;
  emitter.on("error", (err: Error) => {
    if (Date.now() - lastLogged < 30_000) return;
    lastLogged = Date.now();
    log.warn({ queue: name, err: err.message }, "queue store error; BullMQ keeps retrying");
  });
  return emitter;
}

export function createQueueBackend(settings: QueueBackendSettings): QueueBackend {
  // One telemetry object per backend; off by default (no spans, no overhead).
  const telemetry = settings.tracing ? { telemetry: new BullMQOtel({ tracerName: "postmore", version: "1" }) } : {};
  if (settings.kind === "postgres") {
    const pgOpts = settings.postgres;
    if (!pgOpts) throw new Error("postgres queue backend needs a connection string");
    const connection = { connectionString: pgOpts.connectionString, schema: pgOpts.schema, max: pgOpts.max ?? 5 };
    return {
      kind: "postgres",
      createQueue: <D>(name: string, opts: Omit<QueueOptions, "connection"> = {}) =>
        quietErrors(new Queue(name, { ...telemetry, ...opts, connection }, createPostgresBackend) as unknown as Queue<D>, name),
      createWorker: <D>(name: string, processor: Processor<D>, opts: Omit<WorkerOptions, "connection"> = {}) =>
        quietErrors(
          new Worker(name, processor, { ...telemetry, ...opts, connection }, createPostgresBackend) as unknown as Worker<D>,
          name,
        ),
    };
  }
  const connection = settings.redis ?? { maxRetriesPerRequest: null };
  const prefix = settings.prefix ?? "{postmore}";
  return {
    kind: "redis",
    createQueue: <D>(name: string, opts: Omit<QueueOptions, "connection"> = {}) =>
      quietErrors(new Queue<D>(name, { prefix, ...telemetry, ...opts, connection }), name),
    createWorker: <D>(name: string, processor: Processor<D>, opts: Omit<WorkerOptions, "connection"> = {}) =>
      quietErrors(new Worker<D>(name, processor, { prefix, ...telemetry, ...opts, connection }), name),
  };
}
