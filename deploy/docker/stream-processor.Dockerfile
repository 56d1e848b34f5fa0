# syntax=docker/dockerfile:1
# Stream processor. Build from the repository root:
#   docker build -f deploy/docker/stream-processor.Dockerfile -t streetwatch/stream-processor .
# Runs as the unprivileged `node` user; config at /etc/streetwatch/processor.yaml; ops on :9464.

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
RUN npm ci --no-audit --no-fund --ignore-scripts -w schemas -w platform -w stream-processor --include-workspace-root
COPY schemas/ schemas/
COPY platform/ platform/
COPY stream-processor/ stream-processor/
RUN npx tsc -b stream-processor

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
RUN npm ci --no-audit --no-fund --omit=dev --ignore-scripts -w stream-processor

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
COPY --from=build /app/stream-processor/package.json stream-processor/
COPY --from=build /app/stream-processor/dist stream-processor/dist
COPY --from=build /app/stream-processor/migrations stream-processor/migrations
COPY --from=build /app/stream-processor/config stream-processor/config
COPY deploy/docker/provision.mjs deploy/docker/provision.mjs
USER node
EXPOSE 9464
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "stream-processor/dist/main.js"]
CMD ["--config", "/etc/streetwatch/processor.yaml"]
