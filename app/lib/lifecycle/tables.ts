import fs from "node:fs";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom, to as copyTo } from "pg-copy-streams";

/**
 * PostMore's tables as data: which exist, in which order they can be loaded (parents before
 * children, so foreign keys hold without superuser rights), and COPY in and out of files.
 * Read from the catalog rather than listed here, so tables added by later migrations are
 * backed up without anyone remembering to add them.
 */

export interface TableDump {
  name: string;
  columns: string[];
  rows: number;
  file: string;
  sha256: string;
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Every table of the public schema, parents first. */
export async function tablesInLoadOrder(client: pg.ClientBase): Promise<string[]> {
  const tables = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname`,
  );
  const edges = await client.query<{ child: string; parent: string }>(
    `SELECT cl.relname AS child, pr.relname AS parent FROM pg_constraint co
       JOIN pg_class cl ON cl.oid = co.conrelid JOIN pg_class pr ON pr.oid = co.confrelid
       JOIN pg_namespace n ON n.oid = cl.relnamespace
      WHERE co.contype = 'f' AND n.nspname = 'public' AND cl.oid <> pr.oid`,
  );
  const parents = new Map<string, Set<string>>(tables.rows.map((t) => [t.name, new Set<string>()]));
  for (const e of edges.rows) parents.get(e.child)?.add(e.parent);
  const ordered: string[] = [];
  const done = new Set<string>();
  const visit = (name: string, path: Set<string>) => {
    if (done.has(name) || path.has(name)) return;
    path.add(name);
    for (const p of parents.get(name) ?? []) visit(p, path);
    done.add(name);
    ordered.push(name);
  };
  for (const t of tables.rows) visit(t.name, new Set());
  return ordered;
}

export async function tableColumns(client: pg.ClientBase, table: string): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT attname AS name FROM pg_attribute
      WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''
      ORDER BY attnum`,
    [`public.${quote(table)}`],
  );
  return rows.map((r) => r.name);
}

/** COPY one table into `file` (PostgreSQL's text format). Run inside the backup's snapshot transaction. */
export async function copyTableOut(client: pg.ClientBase, table: string, columns: string[], file: string): Promise<number> {
  const cols = columns.map(quote).join(", ");
  const stream = client.query(copyTo(`COPY public.${quote(table)} (${cols}) TO STDOUT`));
  await pipeline(stream, fs.createWriteStream(file, { mode: 0o600 }));
  return stream.rowCount ?? 0;
}

export async function copyTableIn(client: pg.ClientBase, table: string, columns: string[], file: string): Promise<number> {
  const cols = columns.map(quote).join(", ");
  const stream = client.query(copyFrom(`COPY public.${quote(table)} (${cols}) FROM STDIN`));
  await pipeline(fs.createReadStream(file), stream);
  return stream.rowCount ?? 0;
}

/** Serial columns continue after the restored rows, not from 1 again. */
export async function resetSequences(client: pg.ClientBase): Promise<void> {
  const { rows } = await client.query<{ table: string; column: string; seq: string }>(
    `SELECT table_name AS table, column_name AS column,
            pg_get_serial_sequence(format('public.%I', table_name), column_name) AS seq
       FROM information_schema.columns
      WHERE table_schema = 'public' AND pg_get_serial_sequence(format('public.%I', table_name), column_name) IS NOT NULL`,
  );
  for (const r of rows) {
    await client.query(
      `SELECT setval($1, COALESCE((SELECT max(${quote(r.column)}) FROM public.${quote(r.table)}), 0) + 1, false)`,
      [r.seq],
    );
  }
}

/** Whether the database already holds PostMore tables or migrations (a restore must not mix two installs). */
export async function databaseIsEmpty(client: pg.ClientBase): Promise<boolean> {
  const { rows } = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND n.nspname IN ('public', 'drizzle')`,
  );
  return (rows[0]?.n ?? 0) === 0;
}
