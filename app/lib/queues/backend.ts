import { createPostgresBackend, Queue, Worker, type ConnectionOptions, type Processor, type QueueOptions, type WorkerOptions } from "bullmq";
import { BullMQOtel } from "bullmq-otel";
import { Cluster, type ClusterOptions } from "ioredis";
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
  /** Seed nodes and options of a Redis Cluster: every Queue and Worker then gets its own ioredis Cluster. */
  cluster?: { nodes: Array<{ host: string; port: number }>; options: ClusterOptions };
  /** Key prefix on Redis (hash-tagged so every key of a queue lands on one Cluster slot). */
  prefix?: string;
  /** PostgreSQL connection string, BullMQ schema and pool size (per Queue / Worker) when kind is "postgres". */
  postgres?: { connectionString: string; schema: string; max?: number };
  /** Trace jobs through OpenTelemetry (BullMQ's telemetry hook). */
  tracing?: boolean;
}

export function queueBackendSettings(config: Config, databaseUrl: string): QueueBackendSettings {
  const tracing = config.otelTracing;
  if (config.queue.backend === "postgres") {
    const postgres = { connectionString: databaseUrl, schema: "bullmq", max: config.queue.postgresPoolMax };
    return { kind: "postgres", postgres, tracing };
  }
  const prefix = config.queue.prefix;
  if (config.queue.redis.clusterNodes.length > 0) {
    return { kind: "redis", cluster: redisClusterOptions(config), prefix, tracing };
  }
  return { kind: "redis", redis: redisConnectionOptions(config), prefix, tracing };
}

/** How long a PostgreSQL queue pool keeps an unused connection open. */
const IDLE_CONNECTION_MS = 60_000;

/** Reconnect delays that grow to 5 s: a Redis that stays down is not hammered. */
const reconnectDelay = (times: number) => Math.min(200 * 2 ** Math.min(times, 5), 5000);

/**
 * ioredis options from the config: URL, host/port/password, TLS, or Sentinel. Workers need
 * `maxRetriesPerRequest: null` (BullMQ blocks on Redis); ioredis then reconnects forever.
 */
export function redisConnectionOptions(config: Config): ConnectionOptions {
  const r = config.queue.redis;
  const common = { maxRetriesPerRequest: null, retryStrategy: reconnectDelay, ...(r.tls ? { tls: {} } : {}) };
  if (r.sentinels.length > 0) {
    return {
      ...common,
      sentinels: r.sentinels,
      name: r.sentinelName,
      password: r.password,
      // Sentinels often run without AUTH while the data nodes have it: one password for both was wrong.
      sentinelPassword: r.sentinelPassword,
      // ioredis: `sentinelTLS` is TLS to the Sentinels; `tls` reaches the master only with enableTLSForSentinelMode.
      ...(r.sentinelTls ? { sentinelTLS: {} } : {}),
      ...(r.tls ? { enableTLSForSentinelMode: true } : {}),
      sentinelRetryStrategy: reconnectDelay,
      // After a fail-over the old master may come back as a replica: reconnect on READONLY.
      reconnectOnError: (err: Error) => err.message.startsWith("READONLY"),
    };
  }
  if (r.url) return { ...common, url: r.url };
  return { ...common, host: r.host, port: r.port, password: r.password };
}

/**
 * ioredis Cluster options. The slot map is refreshed on MOVED/ASK and when a node drops, so a
 * replica promoted after its master died is found by itself; commands wait (offline queue)
 * meanwhile instead of failing.
 */
export function redisClusterOptions(config: Config): NonNullable<QueueBackendSettings["cluster"]> {
  const r = config.queue.redis;
  return {
    nodes: r.clusterNodes,
    options: {
      redisOptions: { password: r.password, maxRetriesPerRequest: null, ...(r.tls ? { tls: {} } : {}) },
      clusterRetryStrategy: reconnectDelay,
      retryDelayOnFailover: 300,
      retryDelayOnClusterDown: 500,
      retryDelayOnTryAgain: 300,
      slotsRefreshTimeout: 2000,
      // TLS certificates name hosts, not the IPs the cluster announces (ElastiCache, Memorystore).
      ...(r.tls ? { dnsLookup: (address: string, callback: (err: null, address: string) => void) => callback(null, address) } : {}),
    },
  };
}

const log = logger("queue-backend");

/**
 * Connection errors (Redis or PostgreSQL restarting) are retried by BullMQ forever; log the
 * first at once, then one line per 30 s per queue with how many were left out.
 */
function quietErrors<T extends { on(event: "error", listener: (err: Error) => void): unknown }>(emitter: T, name: string): T {
  let lastLogged = 0;
  let suppressed = 0;
  emitter.on("error", (err: Error) => {
    if (Date.now() - lastLogged < 30_000) {
      suppressed++;
      return;
    }
    lastLogged = Date.now();
    log.warn({ queue: name, err: err.message, suppressed }, "queue store error; BullMQ keeps retrying");
    suppressed = 0;
  });
  return emitter;
}

/**
 * BullMQ waits before retrying a lost connection, but a command error (MOVED from a Cluster
 * node addressed as a single Redis, READONLY from a replica, NOAUTH, OOM) sends its fetch loop
 * straight round again: hundreds of thousands of errors a minute. When errors come faster than
 * 5 a second, stop fetching for a while (1 s, doubling to 30 s) and try again.
 */
function backOffOnErrors<D>(worker: Worker<D>): Worker<D> {
  let recent: number[] = [];
  let pauseMs = 1000;
  let lastPause = 0;
  let pausing = false;
  worker.on("error", () => {
    const now = Date.now();
    recent = recent.filter((t) => now - t < 1000);
    recent.push(now);
    if (pausing || recent.length < 5 || worker.closing) return;
    pausing = true;
    pauseMs = now - lastPause > 120_000 ? 1000 : Math.min(pauseMs * 2, 30_000);
    lastPause = now;
    log.warn({ queue: worker.name, pauseMs }, "queue store keeps answering with errors; fetching paused");
    void worker
      .pause(true)
      .then(() => new Promise((resolve) => setTimeout(resolve, pauseMs).unref()))
      .then(() => (worker.closing ? undefined : worker.resume()))
      .catch(() => {})
      .finally(() => {
        pausing = false;
        recent = [];
      });
  });
  return worker;
}

/** A Queue or Worker given a Cluster client of its own closes that client with itself (BullMQ leaves shared clients open). */
function closingClient<T extends { close(force?: boolean): Promise<void> }>(target: T, client: Cluster): T {
  const close = target.close.bind(target);
  target.close = async (force?: boolean) => {
    try {
      await close(force);
    } finally {
      client.disconnect();
    }
  };
  return target;
}

export function createQueueBackend(settings: QueueBackendSettings): QueueBackend {
  // One telemetry object per backend; off by default (no spans, no overhead).
  const telemetry = settings.tracing ? { telemetry: new BullMQOtel({ tracerName: "postmore", version: "1" }) } : {};
  if (settings.kind === "postgres") {
    const pgOpts = settings.postgres;
    if (!pgOpts) throw new Error("postgres queue backend needs a connection string");
    // Idle connections are kept a minute (pg's default is 10 s): the token refresh and webhook
    // workers check for stalled jobs every 30 s, and with 10 s each check opened a fresh
    // connection — a fork on the server.
    const connection = { connectionString: pgOpts.connectionString, schema: pgOpts.schema, max: pgOpts.max ?? 5, idleTimeoutMillis: IDLE_CONNECTION_MS };
    return {
      kind: "postgres",
      createQueue: <D>(name: string, opts: Omit<QueueOptions, "connection"> = {}) =>
        quietErrors(new Queue(name, { ...telemetry, ...opts, connection }, createPostgresBackend) as unknown as Queue<D>, name),
      createWorker: <D>(name: string, processor: Processor<D>, opts: Omit<WorkerOptions, "connection"> = {}) =>
        backOffOnErrors(
          quietErrors(
            new Worker(name, processor, { ...telemetry, ...opts, connection }, createPostgresBackend) as unknown as Worker<D>,
            name,
          ),
        ),
    };
  }
  const prefix = settings.prefix ?? "{postmore}";
  const cluster = settings.cluster;
  if (cluster) {
    // A Cluster client must be an instance (options alone make BullMQ open a single-node client).
    const client = () => new Cluster(cluster.nodes, cluster.options);
    return {
      kind: "redis",
      createQueue: <D>(name: string, opts: Omit<QueueOptions, "connection"> = {}) => {
        const connection = client();
        return closingClient(quietErrors(new Queue<D>(name, { prefix, ...telemetry, ...opts, connection }), name), connection);
      },
      createWorker: <D>(name: string, processor: Processor<D>, opts: Omit<WorkerOptions, "connection"> = {}) => {
        const connection = client();
        const worker = new Worker<D>(name, processor, { prefix, ...telemetry, ...opts, connection });
        return closingClient(backOffOnErrors(quietErrors(worker, name)), connection);
      },
    };
  }
  const connection = settings.redis ?? { maxRetriesPerRequest: null };
  return {
    kind: "redis",
    createQueue: <D>(name: string, opts: Omit<QueueOptions, "connection"> = {}) =>
      quietErrors(new Queue<D>(name, { prefix, ...telemetry, ...opts, connection }), name),
    createWorker: <D>(name: string, processor: Processor<D>, opts: Omit<WorkerOptions, "connection"> = {}) =>
      backOffOnErrors(quietErrors(new Worker<D>(name, processor, { prefix, ...telemetry, ...opts, connection }), name)),
  };
}
