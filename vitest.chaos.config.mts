import path from "node:path";
import { defineConfig } from "vitest/config";

/**
 * `npm run test:chaos`: the full-size chaos scenarios (test/chaos/*.chaos.ts). One file at a
 * time: each scenario starts and kills processes and measures lateness, so two at once on a
 * 2-core machine would measure each other.
 */
export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    globalSetup: ["test/chaos/globalSetup.ts"],
    // CHAOS_INCLUDE=test/chaos/ci.test.ts runs the small CI variant with this setup (no web build).
    include: [process.env.CHAOS_INCLUDE ?? "test/chaos/**/*.chaos.ts"],
    exclude: ["node_modules/**", ".next/**", "data/**"],
    testTimeout: 1_200_000,
    hookTimeout: 180_000,
    pool: "forks",
    maxWorkers: 1,
    fileParallelism: false,
  },
});
