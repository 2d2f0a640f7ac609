import { execFile, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { freePort } from "./freePort";
import { systemRedisBinary } from "./redis";

/**
 * Real Redis topologies for the production tests, from Debian's redis-server: a 3-master +
 * 3-replica Cluster and a master + replica watched by three Sentinels. Every process runs on
 * 127.0.0.1 on a free port with its data in a temp dir; `close()` kills them all and removes
 * the dirs, and an exit hook SIGKILLs whatever a failed test left behind.
 */
export interface RedisNode {
  port: number;
  /** SIGKILL: the crash a fail-over must survive. */
  kill(): Promise<void>;
  alive(): boolean;
}

const children = new Set<ChildProcess>();
process.once("exit", () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

const run = promisify(execFile);

function spawnRedis(args: string[], readyText: string): Promise<{ child: ChildProcess; node: Omit<RedisNode, "port"> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(systemRedisBinary(), args, { stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    child.once("exit", () => children.delete(child));
    let out = "";
    const onData = (b: Buffer) => {
      out += b.toString();
      if (out.includes(readyText)) {
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        resolve({
          child,
          node: {
            alive: () => child.exitCode === null && child.signalCode === null,
            kill: () => killChild(child),
          },
        });
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (b: Buffer) => (out += b.toString()));
    child.once("exit", (code) => reject(new Error(`redis-server ${args.join(" ")} exited (${code}) before it was ready:\n${out}`)));
  });
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  await exited;
}

const common = (port: number, dir: string) => [
  "--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--protected-mode", "no", "--daemonize", "no",
  "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--maxmemory-policy", "noeviction",
];

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function info(
  port: number,
  section: string,
  command: "INFO" | "CLUSTER" = "INFO",
  password?: string,
  tls?: { ca: string },
): Promise<string> {
  const client = new Redis({ host: "127.0.0.1", port, password, tls, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await client.connect();
    return command === "INFO" ? await client.info(section) : String(await client.call("CLUSTER", section));
  } finally {
    client.disconnect();
  }
}

export interface RedisCluster {
  nodes: RedisNode[];
  /** host:port,... as an operator writes REDIS_CLUSTER_NODES. */
  seeds: string;
  /** The node that is master of the slot `key` hashes to. */
  masterOf(key: string): Promise<RedisNode>;
  /** Resolves when a replica has taken over every slot and the cluster answers again. */
  waitHealthy(): Promise<void>;
  close(): Promise<void>;
}

export async function startRedisCluster(): Promise<RedisCluster> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "postmore-redis-cluster-"));
  const nodes: RedisNode[] = [];
  try {
    for (let i = 0; i < 6; i++) {
      const port = await freePort();
      const dir = path.join(root, String(port));
      fs.mkdirSync(dir);
      const args = [...common(port, dir), "--cluster-enabled", "yes", "--cluster-config-file", path.join(dir, "nodes.conf")];
      // A short node timeout so a killed master is failed over in seconds, not 15 s.
      args.push("--cluster-node-timeout", "2000", "--cluster-replica-validity-factor", "0");
      const { node } = await spawnRedis(args, "Ready to accept connections");
      nodes.push({ port, ...node });
    }
    const addrs = nodes.map((n) => `127.0.0.1:${n.port}`);
    await run("redis-cli", ["--cluster", "create", ...addrs, "--cluster-replicas", "1", "--cluster-yes"]);
  } catch (err) {
    await Promise.all(nodes.map((n) => n.kill()));
    fs.rmSync(root, { recursive: true, force: true });
    throw err;
  }
  const healthy = async () => {
    for (const n of nodes.filter((x) => x.alive())) {
      if (!(await info(n.port, "INFO", "CLUSTER")).includes("cluster_state:ok")) return false;
    }
    return true;
  };
  const cluster: RedisCluster = {
    nodes,
    seeds: nodes.slice(0, 3).map((n) => `127.0.0.1:${n.port}`).join(","),
    async masterOf(key) {
      const any = nodes.find((n) => n.alive())!;
      const client = new Redis({ host: "127.0.0.1", port: any.port, maxRetriesPerRequest: 0 });
      try {
        const slot = Number(await client.call("CLUSTER", "KEYSLOT", key));
        const ranges = (await client.call("CLUSTER", "SLOTS")) as Array<[number, number, [string, number]]>;
        const range = ranges.find(([from, to]) => slot >= from && slot <= to);
        const port = range?.[2][1];
        const node = nodes.find((n) => n.port === port);
        if (!node) throw new Error(`no master for slot ${slot}`);
        return node;
      } finally {
        client.disconnect();
      }
    },
    waitHealthy: () => waitUntil("cluster_state:ok on every live node", healthy, 90_000),
    async close() {
      await Promise.all(nodes.map((n) => n.kill()));
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
  await cluster.waitHealthy();
  return cluster;
}

export interface RedisSentinelGroup {
  master: RedisNode;
  replica: RedisNode;
  sentinels: RedisNode[];
  /** host:port,... as an operator writes REDIS_SENTINELS. */
  seeds: string;
  name: string;
  /** The port Sentinel currently names as the master. */
  currentMasterPort(): Promise<number>;
  close(): Promise<void>;
}

/** Certificate files for TLS-only servers (`--port 0 --tls-port …`), clients not asked for certificates. */
export interface TlsFiles {
  cert: string;
  key: string;
  ca: string;
}

/**
 * A master, one replica and three Sentinels (quorum 2); `sentinelPassword` protects the
 * Sentinels when set; `tls` makes every server (and replication) TLS-only.
 */
export async function startRedisSentinels(opts: { sentinelPassword?: string; tls?: TlsFiles } = {}): Promise<RedisSentinelGroup> {
  const tlsArgs = opts.tls
    ? ["--tls-cert-file", opts.tls.cert, "--tls-key-file", opts.tls.key, "--tls-ca-cert-file", opts.tls.ca, "--tls-auth-clients", "no", "--tls-replication", "yes"]
    : [];
  const clientTls = opts.tls ? { ca: fs.readFileSync(opts.tls.ca, "utf8") } : undefined;
  // With TLS the plain port is closed and the TLS port takes the free port.
  const serverArgs = (port: number, dir: string) => {
    const args = common(port, dir);
    if (!opts.tls) return args;
    args[1] = "0";
    return [...args, "--tls-port", String(port), ...tlsArgs];
  };
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "postmore-redis-sentinel-"));
  const started: RedisNode[] = [];
  const name = "pmmaster";
  const dirFor = (port: number) => {
    const dir = path.join(root, String(port));
    fs.mkdirSync(dir);
    return dir;
  };
  try {
    const masterPort = await freePort();
    const master = { port: masterPort, ...(await spawnRedis(serverArgs(masterPort, dirFor(masterPort)), "Ready to accept connections")).node };
    started.push(master);
    const replicaPort = await freePort();
    const replicaArgs = [...serverArgs(replicaPort, dirFor(replicaPort)), "--replicaof", "127.0.0.1", String(masterPort)];
    const replica = { port: replicaPort, ...(await spawnRedis(replicaArgs, "Ready to accept connections")).node };
    started.push(replica);
    await waitUntil("replica in sync", async () => (await info(replicaPort, "replication", "INFO", undefined, clientTls)).includes("master_link_status:up"));

    const sentinels: RedisNode[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const dir = dirFor(port);
      const conf = path.join(dir, "sentinel.conf");
      const lines = [
        `port ${port}`, "bind 127.0.0.1", `dir ${dir}`, "protected-mode no",
        `sentinel monitor ${name} 127.0.0.1 ${masterPort} 2`,
        `sentinel down-after-milliseconds ${name} 2000`,
        `sentinel failover-timeout ${name} 10000`,
        `sentinel parallel-syncs ${name} 1`,
      ];
      if (opts.sentinelPassword) lines.push(`requirepass ${opts.sentinelPassword}`, `sentinel sentinel-pass ${opts.sentinelPassword}`);
      if (opts.tls) {
        lines[0] = "port 0";
        lines.push(`tls-port ${port}`, `tls-cert-file ${opts.tls.cert}`, `tls-key-file ${opts.tls.key}`, `tls-ca-cert-file ${opts.tls.ca}`);
        lines.push("tls-auth-clients no", "tls-replication yes");
      }
      fs.writeFileSync(conf, `${lines.join("\n")}\n`);
      const s = { port, ...(await spawnRedis([conf, "--sentinel"], "Sentinel ID is")).node };
      sentinels.push(s);
      started.push(s);
    }
    const currentMasterPort = async () => {
      for (const s of sentinels.filter((x) => x.alive())) {
        const client = new Redis({
          host: "127.0.0.1", port: s.port, password: opts.sentinelPassword, tls: clientTls, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null,
        });
        try {
          await client.connect();
          const addr = (await client.call("SENTINEL", "get-master-addr-by-name", name)) as [string, string] | null;
          if (addr) return Number(addr[1]);
        } catch {
          // try the next Sentinel
        } finally {
          client.disconnect();
        }
      }
      throw new Error("no Sentinel answered");
    };
    // Every Sentinel must know the others and the replica before a fail-over can be voted.
    await waitUntil("sentinels see each other and the replica", async () => {
      for (const s of sentinels) {
        const text = await info(s.port, "sentinel", "INFO", opts.sentinelPassword, clientTls).catch(() => "");
        if (!text.includes(`name=${name},status=ok`) || !/slaves=1,sentinels=3/.test(text)) return false;
      }
      return true;
    });
    return {
      master,
      replica,
      sentinels,
      seeds: sentinels.map((s) => `127.0.0.1:${s.port}`).join(","),
      name,
      currentMasterPort,
      async close() {
        await Promise.all(started.map((n) => n.kill()));
        fs.rmSync(root, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await Promise.all(started.map((n) => n.kill()));
    fs.rmSync(root, { recursive: true, force: true });
    throw err;
  }
}
