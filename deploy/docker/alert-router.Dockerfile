# syntax=docker/dockerfile:1
# Alert router (delivery + work orders + console). Build from the repository root:
#   docker build -f deploy/docker/alert-router.Dockerfile -t streetwatch/alert-router .
# Runs as the unprivileged `node` user; config at /etc/streetwatch/router.yaml (http.host 0.0.0.0);
# HTTP (API, console, /metrics, /healthz, /readyz) on :8090. Channel secrets come from the
# environment variables the config names (`<field>Env`, e.g. signSecretEnv), never from the image.

# --- build: all workspace manifests (npm needs them for the lockfile), then compile -------------
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json tsconfig.json ./
COPY schemas/package.json schemas/
COPY platform/package.json platform/
COPY edge-gateway/package.json edge-gateway/
COPY stream-processor/package.json stream-processor/
COPY alert-router/package.json alert-router/
COPY deploy/package.json deploy/
RUN npm ci --no-audit --no-fund --ignore-scripts -w schemas -w platform -w alert-router --include-workspace-root
COPY schemas/ schemas/
COPY platform/ platform/
COPY alert-router/ alert-router/
RUN npx tsc -b alert-router

# --- deps: production dependencies only ----------------------------------------------------------
FROM node:20-slim AS deps
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/schemas/package.json schemas/
COPY --from=build /app/platform/package.json platform/
COPY --from=build /app/edge-gateway/package.json edge-gateway/
COPY --from=build /app/stream-processor/package.json stream-processor/
COPY --from=build /app/alert-router/package.json alert-router/
COPY --from=build /app/deploy/package.json deploy/
RUN npm ci --no-audit --no-fund --omit=dev --ignore-scripts -w alert-router

# --- runtime ----------------------------------------------------------------------------------
FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY --from=build /app/package.json ./
COPY --from=build /app/schemas/package.json schemas/
COPY --from=build /app/schemas/dist schemas/dist
COPY --from=build /app/schemas/json schemas/json
COPY --from=build /app/platform/package.json platform/
COPY --from=build /app/platform/dist platform/dist
COPY --from=build /app/alert-router/package.json alert-router/
COPY --from=build /app/alert-router/dist alert-router/dist
COPY --from=build /app/alert-router/migrations alert-router/migrations
COPY --from=build /app/alert-router/src/console/assets alert-router/src/console/assets
COPY deploy/docker/provision.mjs deploy/docker/provision.mjs
USER node
EXPOSE 8090
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8090/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "alert-router/dist/main.js"]
CMD ["--config", "/etc/streetwatch/router.yaml"]
