import fs from "node:fs";
import { sql } from "drizzle-orm";
import type { TestPds } from "../helpers/pds";
import type { ChaosRun, ChaosSetup } from "./harness";

/**
 * What a user would notice, measured on the PDS itself (listRecords), not in our tables:
 * lost = scheduled posts with no record; duplicated = records beyond the one each delivery
 * should have made (same text, another record). Lateness comes from the deliveries
 * (published_at − scheduled_at).
 */
export interface Figures {
  scenario: string;
  kind: string;
  scheduled: number;
  /** Posts with a record on the PDS. */
  published: number;
  lost: number;
  duplicated: number;
  /** Deliveries the database calls published (should equal `published`). */
  dbPublished: number;
  /** Records whose key is not the one chosen for the delivery at scheduling. */
  foreignKeys: number;
  p99LatenessMs: number;
  maxLatenessMs: number;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function measure(s: ChaosSetup, pds: TestPds, run: ChaosRun): Promise<Figures> {
  const { rows } = await s.ctx.database.db.execute(
    sql`SELECT p.text, d.status, d.rkeys, d.rkey,
               (extract(epoch FROM d.published_at - d.scheduled_at) * 1000)::float8 AS lateness
        FROM deliveries d JOIN posts p ON p.id = d.post_id WHERE starts_with(p.text, ${run.textPrefix})`,
  );
  const deliveries = rows as Array<{ text: string; status: string; rkeys: string[] | null; rkey: string | null; lateness: number | null }>;
  const keyOf = new Map(deliveries.map((d) => [d.text, d.rkeys?.[0] ?? d.rkey ?? ""]));

  const perText = new Map<string, number>();
  let foreignKeys = 0;
  for (const account of s.accounts) {
    for (const record of await pds.listPosts(account.did)) {
      const text = String(record.value.text ?? "");
      if (!text.startsWith(run.textPrefix)) continue;
      perText.set(text, (perText.get(text) ?? 0) + 1);
      if (record.uri.split("/").pop() !== keyOf.get(text)) foreignKeys++;
    }
  }
  let lost = 0;
  let duplicated = 0;
  for (let i = 0; i < run.n; i++) {
    const count = perText.get(`${run.textPrefix}${i}`) ?? 0;
    if (count === 0) lost++;
    else duplicated += count - 1;
  }
  const lateness = deliveries.filter((d) => d.lateness !== null).map((d) => Math.max(0, Number(d.lateness)));
  return {
    scenario: run.scenario,
    kind: run.kind,
    scheduled: run.n,
    published: run.n - lost,
    lost,
    duplicated,
    dbPublished: deliveries.filter((d) => d.status === "published").length,
    foreignKeys,
    p99LatenessMs: Math.round(percentile(lateness, 99)),
    maxLatenessMs: Math.round(Math.max(0, ...lateness)),
  };
}

export function figuresLine(f: Figures, extra = ""): string {
  return (
    `chaos ${f.scenario} ${f.kind}: scheduled ${f.scheduled}, published ${f.published}, lost ${f.lost}, ` +
    `duplicated ${f.duplicated}, p99 lateness ${f.p99LatenessMs} ms (max ${f.maxLatenessMs} ms${extra ? `; ${extra}` : ""})`
  );
}

/** Prints the one-line summary (and keeps it in CHAOS_RESULTS when set, for docs/RELIABILITY.md). */
export function report(f: Figures, extra = ""): void {
  const line = figuresLine(f, extra);
  console.log(line);
  const file = process.env.CHAOS_RESULTS;
  if (file) fs.appendFileSync(file, `${new Date().toISOString()} ${line}\n`);
}
