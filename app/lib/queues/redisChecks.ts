import type { ConnectionOptions } from "bullmq";
import { Redis, type RedisOptions } from "ioredis";

/**
 * What an operator must fix for BullMQ on Redis to keep jobs: eviction would silently drop
 * them, and without persistence a restart loses every delayed post (the reconciler rebuilds
 * them from PostgreSQL, but late). Uses INFO where managed Redis forbids CONFIG.
 */
export async function redisSettingWarnings(
  options: RedisOptions | ConnectionOptions,
  opts: { cluster?: boolean } = {},
): Promise<string[]> {
  const { url, ...rest } = options as RedisOptions & { url?: string };
  const checkOptions: RedisOptions = {
    ...rest,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  };
  const client = url ? new Redis(url, checkOptions) : new Redis(checkOptions);
  try {
    await client.connect();
    const warnings: string[] = [];
    if (!opts.cluster && parseInfo(await client.info("cluster")).get("cluster_enabled") === "1") {
      warnings.push(
        "This Redis is a Cluster node but PostMore talks to it as a single Redis (every queue command answers MOVED). Set REDIS_CLUSTER_NODES=host:port,... instead.",
      );
    }
    const memory = parseInfo(await client.info("memory"));
    const policy = memory.get("maxmemory_policy");
    if (policy && policy !== "noeviction") {
      warnings.push(
        `Redis maxmemory-policy is "${policy}": Redis may evict queued jobs. Set maxmemory-policy noeviction.`,
      );
    }
    const persistence = parseInfo(await client.info("persistence"));
    const aof = persistence.get("aof_enabled") === "1";
    const rdb = await rdbEnabled(client);
    if (!aof && rdb === false) {
      warnings.push("Redis persistence is off (no AOF, no RDB snapshots): a Redis restart loses every queued job. Turn on appendonly yes.");
    }
    return warnings;
  } finally {
    client.disconnect();
  }
}

function parseInfo(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i > 0) map.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return map;
}

/** true/false when CONFIG is allowed; undefined when the server does not tell (managed Redis). */
async function rdbEnabled(client: Redis): Promise<boolean | undefined> {
  try {
    const reply = (await client.config("GET", "save")) as string[];
    return (reply[1] ?? "").trim() !== "";
  } catch {
    return undefined;
  }
}
