import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { freePort } from "./freePort";

/** Debian's PgBouncer (`apt-get install pgbouncer`; `.ci/run` installs it). */
const PGBOUNCER = "/usr/sbin/pgbouncer";

export interface RunningPgBouncer {
  /** postgres://postgres:postgres@127.0.0.1:<port>/<database>, through PgBouncer. */
  url: string;
  close(): Promise<void>;
}

/**
 * A PgBouncer on a free loopback port in front of one database of the test PostgreSQL
 * (user postgres/postgres), in session mode, with the settings docs/PRODUCTION.md gives.
 */
export async function startPgBouncer(opts: { pgPort: number; database: string }): Promise<RunningPgBouncer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "postmore-pgbouncer-"));
  const port = await freePort();
  const ini = [
    "[databases]",
    `${opts.database} = host=127.0.0.1 port=${opts.pgPort} dbname=${opts.database}`,
    "[pgbouncer]",
    "listen_addr = 127.0.0.1",
    `listen_port = ${port}`,
    "unix_socket_dir =",
    "auth_type = plain",
    `auth_file = ${path.join(dir, "userlist.txt")}`,
    "pool_mode = session",
    "default_pool_size = 60",
    "max_client_conn = 300",
    "ignore_startup_parameters = options",
  ].join("\n");
  fs.writeFileSync(path.join(dir, "pgbouncer.ini"), ini + "\n");
  fs.writeFileSync(path.join(dir, "userlist.txt"), '"postgres" "postgres"\n');
  // PgBouncer will not run as root: as root (CI), it switches to the postgres user (-u).
  fs.chmodSync(dir, 0o755);
  const asRoot = process.getuid?.() === 0;
  const child = spawn(PGBOUNCER, [...(asRoot ? ["-u", "postgres"] : []), path.join(dir, "pgbouncer.ini")], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr.on("data", (b: Buffer) => (out += b.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`pgbouncer did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/${opts.database}`,
    async close() {
      child.kill("SIGTERM");
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}
