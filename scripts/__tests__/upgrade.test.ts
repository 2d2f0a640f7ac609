import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { adminUrl } from "@/test/helpers/testDb";
import { inject } from "vitest";

/**
 * Upgrades: migrations under a lock (several processes starting at once on one empty database),
 * a downgrade onto a newer schema refused with a clear message, and the compiled entries
 * rebuilt by the launcher when the code changed since the last build.
 */
const root = path.resolve(import.meta.dirname, "../..");
const journal = JSON.parse(fs.readFileSync(path.join(root, "drizzle/meta/_journal.json"), "utf8")) as { entries: Array<{ when: number }> };
const dropAfter: string[] = [];
const tmpDirs: string[] = [];

async function emptyDatabase(): Promise<string> {
  const name = `up_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  dropAfter.push(name);
  return `postgres://postgres:postgres@127.0.0.1:${inject("pgPort")}/${name}`;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

interface Exit {
  code: number | null;
  output: string;
}

function node(args: string[], env: Record<string, string>, cwd = root): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd,
      env: { NODE_ENV: "production", PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", LOG_LEVEL: "warn", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.once("exit", (code) => resolve({ code, output }));
  });
}

const dbEnv = (url: string) => ({ DATABASE_URL: url, POSTMORE_SECRET: randomBytes(32).toString("hex"), QUEUE_BACKEND: "postgres" });

afterAll(async () => {
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  for (const name of dropAfter) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
  for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe("migrations on start", () => {
  it("several processes migrating one empty database at once all succeed and apply each migration once", async () => {
    const url = await emptyDatabase();
    const results = await Promise.all(Array.from({ length: 4 }, () => node(["dist/migrate.mjs"], dbEnv(url))));
    for (const r of results) expect(r.code, r.output).toBe(0);
    const applied = await query<{ n: number }>(url, "select count(*)::int as n from drizzle.__drizzle_migrations");
    expect(applied[0]!.n).toBe(journal.entries.length);
    const tables = await query<{ n: number }>(url, "select count(*)::int as n from information_schema.tables where table_name = 'deliveries'");
    expect(tables[0]!.n).toBe(1);
  }, 120_000);

  it("refuses to run on a database a newer version migrated, with a message that says so, and changes nothing", async () => {
    const url = await emptyDatabase();
    expect((await node(["dist/migrate.mjs"], dbEnv(url))).code).toBe(0);
    const newest = Math.max(...journal.entries.map((e) => e.when));
    await query(url, `insert into drizzle.__drizzle_migrations (hash, created_at) values ('from-a-newer-version', ${newest + 60_000})`);

    for (const entry of ["dist/migrate.mjs", "dist/start.mjs"]) {
      const r = await node([entry], { ...dbEnv(url), PORT: "1" });
      expect(r.code, r.output).toBe(1);
      expect(r.output).toContain("1 migration(s) this version of PostMore does not know");
      expect(r.output).toContain("docs/UPGRADING.md");
    }
    const applied = await query<{ n: number }>(url, "select count(*)::int as n from drizzle.__drizzle_migrations");
    expect(applied[0]!.n).toBe(journal.entries.length + 1);
  }, 120_000);
});

describe("rebuild when the code changed since the last build", () => {
  /** A copy of the sources (node_modules linked) to edit freely: the real tree is never touched. */
  function copyOfTree(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "postmore-upgrade-"));
    tmpDirs.push(dir);
    for (const entry of ["app", "scripts", "drizzle", "package.json", "package-lock.json", "tsconfig.json", "next.config.ts"]) {
      fs.cpSync(path.join(root, entry), path.join(dir, entry), { recursive: true });
    }
    fs.symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"));
    return dir;
  }

  it("`npm run db:migrate` builds the server entries on first use, reuses them, and rebuilds after a source change", async () => {
    const dir = copyOfTree();
    const url = await emptyDatabase();
    const launch = () => node(["scripts/launch.mjs", "migrate"], dbEnv(url), dir);

    const first = await launch();
    expect(first.code, first.output).toBe(0);
    expect(first.output).toContain("building server");
    expect(first.output).toContain("migrations applied");

    const second = await launch();
    expect(second.code, second.output).toBe(0);
    expect(second.output).not.toContain("building");

    // An upgrade changes the code: the message the migrate command prints, here.
    const file = path.join(dir, "scripts/migrate.ts");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("migrations applied", "migrations now applied"));
    const third = await launch();
    expect(third.code, third.output).toBe(0);
    expect(third.output).toContain("building server");
    expect(third.output).toContain("migrations now applied");

    // A test file is not production code: editing one rebuilds nothing.
    fs.writeFileSync(path.join(dir, "scripts/__tests__/extra.test.ts"), "// not shipped\n");
    expect((await launch()).output).not.toContain("building");
  }, 180_000);
});
