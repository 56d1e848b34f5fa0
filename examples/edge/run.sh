#!/usr/bin/env bash
# Run the edge gateway alone on the replay config (gateway.replay.yaml) against the local stack.
#   bash examples/edge/run.sh            Ctrl-C (SIGTERM) stops it gracefully: open violations
#                                        end ('shutdown') and the outbox is flushed to Kafka.
# Topics: TOPIC_PREFIX (default 'edge-replay.'); created here with the catalogue settings.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash deploy/local/stack.sh up >/dev/null
set -a
# shellcheck disable=SC1091
. .stack/env
set +a
npx tsc -b
export TOPIC_PREFIX=${TOPIC_PREFIX:-edge-replay.}
export RUN_DIR=${RUN_DIR:-$PWD/.stack/edge-replay}
export MODEL_DIR; MODEL_DIR=$(bash edge-gateway/scripts/fetch-model.sh | tail -n1)
export SCENES_DIR; SCENES_DIR=$(bash examples/scenes/make-scenes.sh | tail -n1)
mkdir -p "$RUN_DIR"
sed -e "s#\${TOPIC_PREFIX}#$TOPIC_PREFIX#g" -e "s#\${RUN_DIR}#$RUN_DIR#g" -e "s#\${MODEL_DIR}#$MODEL_DIR#g" -e "s#\${SCENES_DIR}#$SCENES_DIR#g" \
  examples/edge/gateway.replay.yaml >"$RUN_DIR/gateway.yaml"
STREETWATCH_TOPIC_PREFIX=$TOPIC_PREFIX node deploy/docker/provision.mjs --component stream-processor >/dev/null
node edge-gateway/dist/main.js --validate-config "$RUN_DIR/gateway.yaml"
exec node edge-gateway/dist/main.js --config "$RUN_DIR/gateway.yaml"
