import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { BenchResult } from "../harness";

/**
 * The benchmarks are not run at full size here (that is `npm run bench`, minutes long). This
 * runs every one of them at smoke size so none of them rots: each must finish, do its work
 * correctly (the benchmarks throw on a lost or doubled post) and report a figure for every
 * target. Their speed is not asserted: timings belong to the benchmarks, not to tests.
 */
const root = path.resolve(import.meta.dirname, "../..");
const tsxCli = path.join(root, "node_modules/tsx/dist/cli.mjs");

describe("npm run bench -- --smoke", () => {
  it("runs every benchmark at tiny sizes and reports its figures", { timeout: 900_000 }, async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "postmore-bench-")), "summary.json");
    const child = spawn(process.execPath, [tsxCli, "bench/run.ts", "--smoke", "--out", out], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code, output.slice(-6000)).toBe(0);

    const summary = JSON.parse(fs.readFileSync(out, "utf8")) as { results: Record<string, BenchResult> };
    expect(Object.keys(summary.results).sort()).toEqual(
      ["api-load", "footprint", "lateness", "pds-end-to-end", "post-pipeline", "scale", "token-refresh"].sort(),
    );
    for (const [name, result] of Object.entries(summary.results)) {
      expect(result.figures.length, name).toBeGreaterThan(0);
      for (const f of result.figures) {
        expect(Number.isFinite(f.value), `${name}: ${f.metric}`).toBe(true);
        if (f.target) expect(typeof f.met, `${name}: ${f.metric}`).toBe("boolean");
      }
    }
  });
});
