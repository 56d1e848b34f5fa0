#!/usr/bin/env bash
# The demo (README: `npm run demo`): cameras → edge gateway → Kafka → stream processor → alerts →
# alert router → work orders, on this machine, with real components.
#
# On a fresh machine it installs what is missing (npm ci, the local Kafka + PostgreSQL stack and
# its Debian packages, the build, the detection model, the scenes), then starts:
#   four RTSP test cameras (Hikvision paths, digest auth), each looping one detection-quality scene
#   (parking, dumping, shopfront spillover, street vendor), Prometheus (Debian) scraping every
#   service with the project's rules, a webhook receiver, the alert router, the stream processor
#   and the edge gateway
# with the configs in examples/demo/ (rendered into .stack/demo/config/), and prints the story of
# each type's first violation as it goes through the chain. Logs and pids: .stack/demo/.
#
# Each run is isolated on the shared stack: its own topic prefix `demo-<run>.`, consumer groups and
# database `streetwatch_demo_<run>`, removed when the demo stops (DEMO_KEEP=1 keeps them until the
# next run). One demo at a time (lock .stack/demo/lock).
#
# Environment (all optional):
#   DEMO_ONCE=1        stop after the four stories (exit 0), non-zero naming the stage that did
#                      not deliver and the types still missing there
#   DEMO_TIMEOUT=180   seconds the chain may take, from the router's start to the complete stories
#   DEMO_HOLD_FILE=F   with DEMO_ONCE=1: after the stories, keep everything running until file F
#                      exists (at most DEMO_HOLD_TIMEOUT=300 s), then stop as usual; for checks
#                      against the live pipeline (deploy/test/demo.test.ts)
#   DEMO_KEEP=1        keep the run's topics and database after stopping
#   DEMO_TOKEN         the demo user's API/console token (default: random per run)
#   DEMO_CAMERA_MINUTES=10  length of each camera's pre-encoded loop; at its end the camera ends the
#                      stream (as a camera restarting does) and the gateway reconnects
#   DEMO_{ROUTER,GATEWAY,PROCESSOR,WEBHOOK,PROMETHEUS}_PORT   pin a port (default 8090, 8080,
#                      9464, 8099, 9090, or a free one when that is busy)
#   DEMO_RTSP_{PARK,DUMP,SPILL,VENDOR}_PORT   pin a camera's port (default: one the kernel picks)
# shellcheck disable=SC2317  # cleanup/on_signal/stop_one run from traps
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
ex="$root/examples/demo"
DEMO_DIR="$root/.stack/demo"
ONCE=${DEMO_ONCE:-0}
TIMEOUT=${DEMO_TIMEOUT:-180}
CACHE=${STREETWATCH_CACHE:-$HOME/.cache/streetwatch}
T0=$(date +%s%3N)

say() { printf '\n=== %s\n' "$*"; }
die() {
  printf 'demo: %s\n' "$*" >&2
  exit 1
}

# ---- install / start what is missing (as scripts/test.sh) --------------------------------------
# shellcheck source=scripts/lib/prepare.sh
. "$root/scripts/lib/prepare.sh"
say "npm dependencies"
npm_deps

say "local stack (Kafka + PostgreSQL)"
bash deploy/local/stack.sh up >/dev/null || die "the local stack did not start (see above; deploy/local/README.md)"
stack_env
native_backend >/dev/null
BASE_DB=$PGDATABASE
echo "kafka $STREETWATCH_KAFKA_BROKERS, postgres $PGHOST:$PGPORT"

say "build"
npx tsc -b || die "the build failed (npx tsc -b): see the errors above"

say "model and scenes"
MODEL_DIR=$(bash edge-gateway/scripts/fetch-model.sh | tail -n1)
bash edge-gateway/scripts/convert-savedmodel.sh >/dev/null || echo "no SavedModel: the detector runs op by op"
# camera → the quality scene it loops (examples/scenes/quality/<scene>.json: recipe, zones, truth)
CAMERAS=(cam-01 cam-02 cam-03 cam-04)
CAMERA_SCENES=(park-basic dump-basic spill-basic vendor-basic)
CAMERA_PORTS=(PARK DUMP SPILL VENDOR)
SCENES=$(bash examples/scenes/make-quality-scenes.sh "${CAMERA_SCENES[@]}" | tail -n1)
for sc in "${CAMERA_SCENES[@]}"; do
  [ -s "$SCENES/$sc.mp4" ] || die "no scene $SCENES/$sc.mp4 (examples/scenes/make-quality-scenes.sh)"
done
PROMETHEUS=$(command -v prometheus || true)
[ -n "$PROMETHEUS" ] || die "no prometheus on PATH: install the Debian package prometheus (deploy/local/system-deps.txt; stack.sh up installs it)"
echo "model $MODEL_DIR"
echo "scenes $SCENES (${CAMERA_SCENES[*]})"

# ---- one demo at a time; leftovers of a killed run go first ------------------------------------
mkdir -p "$DEMO_DIR/pids"
exec 8>"$DEMO_DIR/lock"
flock -n 8 || die "another demo is running (lock $DEMO_DIR/lock); stop it first (Ctrl-C in its terminal)"

# Kill a process group recorded by an earlier run that died without cleaning up (only if its
# command line is one of ours: a recycled pid is left alone).
for f in "$DEMO_DIR"/pids/*.pid; do
  [ -e "$f" ] || continue
  pid=$(cat "$f")
  if [ -n "$pid" ] && grep -qa -- "$root" "/proc/$pid/cmdline" 2>/dev/null; then
    echo "stopping leftover $(basename "$f" .pid) (pid $pid) of an earlier demo"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$f"
done
PGDATABASE=$BASE_DB node "$ex/lib/admin.mjs" drop-stale

# ---- this run ---------------------------------------------------------------------------------
RUN=$(date +%y%m%d%H%M%S)
RUN_DIR="$DEMO_DIR/run"
rm -rf "$RUN_DIR" "$DEMO_DIR"/*.log "$DEMO_DIR/config"
mkdir -p "$RUN_DIR" "$DEMO_DIR/config"
DB="streetwatch_demo_$RUN"
export DEMO_RUN=$RUN DEMO_RUN_DIR=$RUN_DIR DEMO_TOPIC_PREFIX="demo-$RUN." DEMO_MODEL_DIR=$MODEL_DIR
DEMO_CAMERA_PASSWORD=$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')
DEMO_WEBHOOK_SECRET=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
STREETWATCH_DEMO_TOKEN=${DEMO_TOKEN:-demo-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')}
DEMO_EVIDENCE_SIGNING_KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
# the live view: the ticket key, the gateway's live token and (for the router) its sha256
DEMO_LIVE_SIGNING_KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
DEMO_LIVE_TOKEN=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
DEMO_LIVE_GATEWAY_SHA256=$(printf '%s' "$DEMO_LIVE_TOKEN" | sha256sum | cut -d' ' -f1)
export DEMO_CAMERA_PASSWORD DEMO_WEBHOOK_SECRET STREETWATCH_DEMO_TOKEN DEMO_EVIDENCE_SIGNING_KEY \
  DEMO_LIVE_SIGNING_KEY DEMO_LIVE_TOKEN DEMO_LIVE_GATEWAY_SHA256
(umask 077 && printf '%s\n' "$STREETWATCH_DEMO_TOKEN" >"$DEMO_DIR/token")
eval "$(node "$ex/lib/ports.mjs" ROUTER=8090 GATEWAY=8080 PROCESSOR=9464 WEBHOOK=8099 PROMETHEUS=9090)"
export DEMO_ROUTER_PORT DEMO_GATEWAY_PORT DEMO_PROCESSOR_PORT DEMO_WEBHOOK_PORT DEMO_PROMETHEUS_PORT
# The cameras bind a port the kernel picks (0) unless pinned: read back from their READY lines, then
# filled into the gateway's config (no race with another demo on this machine for 8554).
export DEMO_RTSP_PARK_PORT=${DEMO_RTSP_PARK_PORT:-0} DEMO_RTSP_DUMP_PORT=${DEMO_RTSP_DUMP_PORT:-0} \
  DEMO_RTSP_SPILL_PORT=${DEMO_RTSP_SPILL_PORT:-0} DEMO_RTSP_VENDOR_PORT=${DEMO_RTSP_VENDOR_PORT:-0}

NAMES=()
PIDS=()
STORY_PID=
WAITER_PID=
DATA_MADE=0
CLEANED=0

stop_one() { # name pid graceSeconds
  local name=$1 pid=$2 grace=$3 i
  kill -0 "$pid" 2>/dev/null || {
    kill -KILL -- "-$pid" 2>/dev/null || true
    return 0
  }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 4; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "  $name did not stop within ${grace} s: killed"
  else
    echo "  $name stopped"
  fi
  kill -KILL -- "-$pid" 2>/dev/null || true # the leader and anything left in its group (ffmpeg)
}

grace_of() {
  case $1 in
  gateway) echo 12 ;;
  router) echo 20 ;;
  processor) echo 15 ;;
  prometheus) echo 10 ;;
  *) echo 5 ;;
  esac
}

cleanup() {
  [ "$CLEANED" = 1 ] && return 0
  CLEANED=1
  trap - INT TERM
  if [ -n "$WAITER_PID" ]; then kill -TERM "$WAITER_PID" 2>/dev/null || true; fi
  if [ -n "$STORY_PID" ]; then
    kill -TERM "$STORY_PID" 2>/dev/null || true
    wait "$STORY_PID" 2>/dev/null || true
  fi
  if [ ${#PIDS[@]} -gt 0 ]; then
    say "stopping (reverse order)"
    local i
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
      stop_one "${NAMES[$i]}" "${PIDS[$i]}" "$(grace_of "${NAMES[$i]}")"
      rm -f "$DEMO_DIR/pids/${NAMES[$i]}.pid"
    done
  fi
  if [ "$DATA_MADE" = 1 ]; then
    if [ "${DEMO_KEEP:-0}" = 1 ]; then
      echo "kept topics demo-$RUN.* and database $DB (DEMO_KEEP=1); the next demo removes them"
    else
      PGDATABASE=$BASE_DB node "$ex/lib/admin.mjs" drop-run "$RUN" || true
    fi
  fi
  echo "logs: $DEMO_DIR"
}
on_signal() {
  echo
  echo "demo: stopping (signal)"
  cleanup
  # Ctrl-C after a complete story is the normal way to end the demo
  if [ -e "$RUN_DIR/story.done" ]; then exit 0; fi
  exit "$1"
}
trap cleanup EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

# Start a service in its own session (so it and its children can be stopped as one group), stdout
# and stderr to .stack/demo/<name>.log, pid in .stack/demo/pids/<name>.pid. The lock fd is closed.
start_bg() {
  local name=$1
  shift
  setsid "$@" </dev/null >"$DEMO_DIR/$name.log" 2>&1 8>&- &
  local pid=$!
  echo "$pid" >"$DEMO_DIR/pids/$name.pid"
  NAMES+=("$name")
  PIDS+=("$pid")
  echo "$name: pid $pid, log $DEMO_DIR/$name.log"
}
# Run in the background and wait for it, so a signal is handled at once (bash defers traps while a
# foreground command runs).
interruptible() {
  "$@" 8>&- &
  WAITER_PID=$!
  local rc=0
  wait "$WAITER_PID" || rc=$?
  WAITER_PID=
  return "$rc"
}
wait_ready() { # name timeoutS --url URL | --line REGEX
  local name=$1 timeout=$2
  shift 2
  interruptible node "$ex/lib/wait-ready.mjs" "$name" "$(cat "$DEMO_DIR/pids/$name.pid")" "$DEMO_DIR/$name.log" "$timeout" "$@" || exit 1
}

say "configs (examples/demo → $DEMO_DIR/config)"
for c in processor router; do
  node "$ex/lib/render.mjs" "$ex/$c.yaml" "$DEMO_DIR/config/$c.yaml"
done
# Prometheus: every service of this run, the project's recording and alerting rules
node "$ex/lib/prometheus.mjs" "$DEMO_DIR/config/prometheus" "$root/deploy/monitoring/prometheus/rules"
"$(dirname "$PROMETHEUS")/promtool" check config "$DEMO_DIR/config/prometheus/prometheus.yml" >/dev/null ||
  die "the demo's Prometheus config does not pass promtool check config ($DEMO_DIR/config/prometheus)"
node stream-processor/dist/main.js --validate-config "$DEMO_DIR/config/processor.yaml"
node alert-router/dist/main.js --validate-config "$DEMO_DIR/config/router.yaml"

say "database for run $RUN"
PGDATABASE=$BASE_DB node "$ex/lib/admin.mjs" create-db "$DB"
DATA_MADE=1
# Topics are the admin's job (each service's Kafka principal may only create what it writes):
# every catalogue topic and the router's department topics, under the run's prefix. The services
# connect as the stack's admin user too (.stack/env): the per-service ACLs name the unprefixed
# production topics (platform/test/kafka/security.test.ts checks them).
node "$ex/lib/admin.mjs" provision "$DEMO_TOPIC_PREFIX" "$DEMO_DIR/config/router.yaml"
export PGDATABASE=$DB STREETWATCH_TOPIC_PREFIX=$DEMO_TOPIC_PREFIX
echo "database $DB; topics demo-$RUN.streetwatch.*"

say "services"
# The cameras serve pre-encoded copies of their scenes (made once, cached): a real camera's encoder
# is not the box's CPU. The first run spends a minute or so making them.
for i in "${!CAMERAS[@]}"; do
  port_var="DEMO_RTSP_${CAMERA_PORTS[$i]}_PORT"
  start_bg "rtsp-${CAMERAS[$i]}" /usr/bin/python3 "$root/edge-gateway/testkit/rtsp-server.py" \
    --port "${!port_var}" --video "$SCENES/${CAMERA_SCENES[$i]}.mp4" --user admin --password "$DEMO_CAMERA_PASSWORD" \
    --cache-dir "$CACHE/rtsp-cache" --passthrough --passthrough-minutes "${DEMO_CAMERA_MINUTES:-10}"
done
for i in "${!CAMERAS[@]}"; do
  port_var="DEMO_RTSP_${CAMERA_PORTS[$i]}_PORT"
  wait_ready "rtsp-${CAMERAS[$i]}" 300 --line '^READY '
  port=$(sed -nE 's|^READY rtsp://127\.0\.0\.1:([0-9]+).*|\1|p' "$DEMO_DIR/rtsp-${CAMERAS[$i]}.log" | head -n1)
  [ -n "$port" ] || die "rtsp-${CAMERAS[$i]} did not say its port ($DEMO_DIR/rtsp-${CAMERAS[$i]}.log)"
  printf -v "$port_var" '%s' "$port"
  export "${port_var?}"
  echo "  ${CAMERAS[$i]}: rtsp://127.0.0.1:$port/Streaming/Channels/102 (digest auth, user admin) looping ${CAMERA_SCENES[$i]}"
done
node "$ex/lib/render.mjs" "$ex/gateway.yaml" "$DEMO_DIR/config/gateway.yaml"
node edge-gateway/dist/main.js --validate-config "$DEMO_DIR/config/gateway.yaml"

start_bg prometheus "$PROMETHEUS" --config.file="$DEMO_DIR/config/prometheus/prometheus.yml" \
  --storage.tsdb.path="$RUN_DIR/prometheus" --web.listen-address="127.0.0.1:$DEMO_PROMETHEUS_PORT" \
  --storage.tsdb.retention.time=1d --log.level=warn
wait_ready prometheus 60 --url "http://127.0.0.1:$DEMO_PROMETHEUS_PORT/-/ready"
echo "  prometheus: http://127.0.0.1:$DEMO_PROMETHEUS_PORT (scrapes router, processor, gateway every 2 s)"

start_bg webhook node "$ex/lib/webhook-receiver.mjs" "$DEMO_WEBHOOK_PORT" "$RUN_DIR/webhook-received.jsonl"
wait_ready webhook 15 --line '^READY '

# The story ends the demo when it fails (or, with DEMO_ONCE=1, completes).
finish_story() {
  local rc=0
  wait "$STORY_PID" || rc=$?
  STORY_PID=
  if [ "$rc" -ne 0 ]; then
    if [ "$rc" -ge 128 ]; then
      echo "demo: stopped before the story completed" >&2
    else
      echo "demo: the chain did not complete (exit $rc); logs in $DEMO_DIR" >&2
    fi
    exit "$rc"
  fi
  if [ "$ONCE" = 1 ] && [ -n "${DEMO_HOLD_FILE:-}" ]; then
    echo "demo: holding until $DEMO_HOLD_FILE exists (at most ${DEMO_HOLD_TIMEOUT:-300} s)"
    # shellcheck disable=SC2016  # $1 and $2 are the inner shell's arguments
    interruptible bash -c 'for ((i = 0; i < $2 * 4; i++)); do [ -e "$1" ] && exit 0; sleep 0.25; done; exit 1' _ "$DEMO_HOLD_FILE" "${DEMO_HOLD_TIMEOUT:-300}" ||
      echo "demo: $DEMO_HOLD_FILE did not appear within ${DEMO_HOLD_TIMEOUT:-300} s; stopping"
  fi
  if [ "$ONCE" = 1 ]; then echo "demo: complete"; else echo "demo: stopped"; fi
  exit 0
}
# Between starts: a story that already failed (budget spent, a process died) ends the demo now.
check_story() { kill -0 "$STORY_PID" 2>/dev/null || finish_story; }

start_bg router node "$root/alert-router/dist/main.js" --config "$DEMO_DIR/config/router.yaml"
wait_ready router 90 --url "http://127.0.0.1:$DEMO_ROUTER_PORT/readyz"

# The narrator reads the run's topics from the beginning (they exist once the router is up).
camera_list=$(IFS=,; echo "${CAMERAS[*]}")
type_list=illegal_parking,dumping,shopfront_spillover,street_vendor
story_args=(--prefix "$DEMO_TOPIC_PREFIX" --cameras "$camera_list" --department demo-chengguan
  --types "$type_list" --prometheus-url "http://127.0.0.1:$DEMO_PROMETHEUS_PORT"
  --router-url "http://127.0.0.1:$DEMO_ROUTER_PORT" --token "$STREETWATCH_DEMO_TOKEN" --timeout "$TIMEOUT"
  --pid-dir "$DEMO_DIR/pids" --log-dir "$DEMO_DIR" --webhook-log "$RUN_DIR/webhook-received.jsonl"
  --t0 "$T0" --done-file "$RUN_DIR/story.done")
[ "$ONCE" = 1 ] || story_args+=(--follow)
node "$ex/lib/story.mjs" "${story_args[@]}" 8>&- &
STORY_PID=$!

start_bg processor node "$root/stream-processor/dist/main.js" --config "$DEMO_DIR/config/processor.yaml" --no-watch
wait_ready processor 90 --url "http://127.0.0.1:$DEMO_PROCESSOR_PORT/readyz"
check_story
start_bg gateway node "$root/edge-gateway/dist/main.js" --config "$DEMO_DIR/config/gateway.yaml"
wait_ready gateway 90 --url "http://127.0.0.1:$DEMO_GATEWAY_PORT/healthz"

say "the stories (each scene's object appears ~10 s into its clip; budget ${TIMEOUT} s)"
finish_story
