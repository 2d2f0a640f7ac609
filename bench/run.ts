import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { runApiLoadBench } from "./apiLoad";
import { runFootprintBench } from "./footprint";
import { machine, writeJson, type Bench, type BenchArgs, type BenchResult } from "./harness";
import { runLatenessBench } from "./lateness";
import { runPostPipelineBench } from "./postPipeline";
import { runScaleBench } from "./scale";
import { runPdsEndToEndBench } from "./pdsEndToEnd";
import { runTokenRefreshBench } from "./tokenRefresh";

/**
 * `npm run bench` runs every benchmark in turn; `npm run bench -- <name> [--n N] [--backend
 * redis|postgres]` runs one; `--smoke` runs them at tiny sizes (what the test suite checks).
 * Each writes bench/results/<name>-<time>.json; the run ends with one table of every figure.
 */
const benches: Record<string, Bench> = {
  "post-pipeline": runPostPipelineBench,
  "token-refresh": runTokenRefreshBench,
  scale: runScaleBench,
  "pds-end-to-end": runPdsEndToEndBench,
  lateness: runLatenessBench,
  "api-load": runApiLoadBench,
  footprint: runFootprintBench,
};

function parseArgs(argv: string[]): { names: string[]; args: BenchArgs } {
  const options = new Map<string, string>();
  const names: string[] = [];
  let smoke = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--smoke") smoke = true;
    else if (a.startsWith("--")) {
      const [k, v] = a.slice(2).split("=");
      options.set(k!, v ?? argv[++i] ?? "");
    } else names.push(a);
  }
  return { names, args: { smoke, options } };
}

const versionOf = (pkg: string) =>
  (JSON.parse(fs.readFileSync(path.join(process.cwd(), "node_modules", pkg, "package.json"), "utf8")) as { version: string }).version;

function describeMachine() {
  const redis = (() => {
    try {
      return execFileSync("redis-server", ["--version"]).toString().match(/v=(\S+)/)?.[1] ?? "?";
    } catch {
      return "not installed";
    }
  })();
  return { ...machine(), bullmq: versionOf("bullmq"), redis, atprotoApi: versionOf("@atproto/api"), next: versionOf("next") };
}

async function main(): Promise<number> {
  const { names, args } = parseArgs(process.argv.slice(2));
  const unknown = names.filter((n) => !benches[n]);
  if (unknown.length > 0) {
    console.error(`unknown benchmark ${unknown.join(", ")}; usage: npm run bench [-- ${Object.keys(benches).join("|")}] [--smoke] [--n N] [--backend redis|postgres]`);
    return 2;
  }
  const selected = names.length > 0 ? names : Object.keys(benches);
  const about = describeMachine();
  console.log(`benchmarks: ${selected.join(", ")}${args.smoke ? " (smoke sizes)" : ""}`);
  console.log(`machine: ${about.cores} cores (${about.cpu}), node ${about.node}, bullmq ${about.bullmq}, redis ${about.redis}, load ${about.loadAverage}`);
  const started = Date.now();
  const results: Record<string, BenchResult & { seconds: number }> = {};
  let failed = false;
  for (const name of selected) {
    console.log(`\n== ${name}`);
    const t0 = Date.now();
    try {
      const result = await benches[name]!(args);
      results[name] = { ...result, seconds: Math.round((Date.now() - t0) / 1000) };
      console.log(`wrote ${writeJson(name, { bench: name, smoke: args.smoke, machine: about, ...results[name] })}`);
    } catch (err) {
      failed = true;
      console.error(`${name} failed:`, err);
    }
  }
  console.log(`\n== summary (${Math.round((Date.now() - started) / 1000)} s)`);
  console.log("| benchmark | figure | value | target | met |");
  console.log("|---|---|---|---|---|");
  for (const [name, r] of Object.entries(results)) {
    for (const f of r.figures) {
      console.log(`| ${name} | ${f.metric} | ${f.value} ${f.unit} | ${f.target ?? ""} | ${f.met === undefined ? "" : f.met ? "yes" : "**no**"} |`);
    }
  }
  const summary = { smoke: args.smoke, machine: about, seconds: Math.round((Date.now() - started) / 1000), results };
  // --out FILE: the summary goes there too (the smoke test reads it).
  const out = args.options.get("out");
  if (out) fs.writeFileSync(out, JSON.stringify(summary, null, 2));
  if (selected.length > 1) writeJson("summary", summary);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
