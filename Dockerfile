# syntax=docker/dockerfile:1
# One image for both apps (and the migration runner); pick the process with the command:
#   api (default):  node --max-semi-space-size=8 --heap-growing-percent=20 --max-old-space-size=512 --no-maglev dist/apps/api/apps/api/src/main.js
#   worker:         node --max-semi-space-size=4 --max-old-space-size=512 dist/apps/worker/apps/worker/src/main.js
#   migrations:     node dist/cli/libs/database/src/migrate.js
# e.g. `docker run --rm mediagen node --max-semi-space-size=4 --max-old-space-size=512 dist/apps/worker/apps/worker/src/main.js`.
# --max-semi-space-size=8 (api) / 4 (worker): V8's young generation capped at 8 or 4 MB a half: 60-70 MB less
#   memory under load than V8's default, same throughput (the worker peaks about 8 MB lower at 4 than at 8, with no
#   CPU per job measurable on a 2-core machine).
# --heap-growing-percent=20 (api only): the old generation is collected once it grew 20 % past what was live, not
#   up to 4 times: about 10 MB less at the api's peak for a few more full collections.
# --no-maglev (api only): V8's mid-tier compiler off: about 25 MB less at the api's peak, no more CPU per request
#   (the worker's CPU per job rises about 12 % without it, so it keeps it).
# --max-old-space-size=512: V8 collects the old generation well before it would on a big machine (about 50 MB is live):
#   peak RSS about 220 MB instead of 300 MB at the same throughput (256 saves 10 MB more but costs CPU and p99 latency).
# Node 24 (the active LTS; >= 22.12 works): NestJS 12 is ESM-only and is loaded through require(esm).

# ---- build: install everything, compile, then drop dev dependencies ----
FROM node:24-slim AS build
WORKDIR /app

COPY package.json package-lock.json ./
# `npm install`, not `npm ci`: the lockfile lacks the optional platform binaries,
# so `npm ci` fails against our registry.
# --ignore-scripts mirrors package.json "allowScripts", which denies every dependency that has an
# install script; say it explicitly for npm versions that do not read that field.
RUN npm install --ignore-scripts --no-audit --no-fund

COPY nest-cli.json tsconfig.json tsconfig.cli.json ./
COPY apps ./apps
COPY libs ./libs
COPY migrations ./migrations
# -> dist/apps/api/..., dist/apps/worker/..., dist/cli/... (see package.json "build")
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: production dependencies + compiled output, non-root ----
FROM node:24-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    PORT=8000

COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The try-it page's static files, served by the api at / (UI_ENABLED).
COPY --from=build /app/apps/api/ui ./apps/api/ui
# The OpenAPI document the api serves at /docs-json (built from the code by `npm run openapi`).
COPY openapi.json ./openapi.json

# Local media storage (STORAGE_LOCAL_DIR defaults to generated_images, relative to /app).
# Mount a volume shared by api and worker here; a fresh named volume inherits this ownership.
RUN mkdir -p /app/generated_images && chown node:node /app/generated_images

USER node
EXPOSE 8000
# Probes the api's liveness; the worker's container overrides it with its health port (compose does).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.HEALTHCHECK_PORT ?? process.env.PORT ?? 8000}/health/live`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--max-semi-space-size=8", "--heap-growing-percent=20", "--max-old-space-size=512", "--no-maglev", "dist/apps/api/apps/api/src/main.js"]
