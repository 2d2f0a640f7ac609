# syntax=docker/dockerfile:1
# Multi-stage production image: one image runs the web app (default command), the worker
# (`node dist/worker.mjs`) and migrations (`node dist/migrate.mjs`), all compiled JavaScript.

FROM node:20-bookworm-slim AS build
ENV NEXT_TELEMETRY_DISABLED=1
WORKDIR /app
# Native dev dependencies (the test PDS's better-sqlite3) build with these.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production PORT=3000 HOSTNAME=0.0.0.0 NEXT_TELEMETRY_DISABLED=1
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/.next ./.next
COPY --from=build /app/dist ./dist
COPY --from=build /app/drizzle ./drizzle
COPY --from=build /app/next.config.ts ./
RUN rm -rf .next/cache && chown -R node:node /app/.next
# Uploaded images (POSTMORE_DATA_DIR/media): web writes them, workers read them, so it is a shared volume.
RUN mkdir -p /data && chown node:node /data
ENV POSTMORE_DATA_DIR=/data
USER node
EXPOSE 3000
CMD ["node", "node_modules/next/dist/bin/next", "start"]
