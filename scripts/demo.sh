#!/usr/bin/env bash
# The demo (README: `npm run demo`): camera → edge gateway → Kafka → stream processor → alert →
# alert router → work order, on this machine, with real components.
#
# On a fresh machine it installs what is missing (npm ci, the local Kafka + PostgreSQL stack and
# its Debian packages, the build, the detection model, the scenes), then starts:
#   an RTSP test camera (Hikvision paths, digest auth) looping examples' parking.mp4,
#   a webhook receiver, the alert router, the stream processor and the edge gateway
# with the configs in examples/demo/ (rendered into .stack/demo/config/), and prints the story of
# the first violation as it goes through the chain. Logs and pids: .stack/demo/.
#
# Each run is isolated on the shared stack: its own topic prefix `demo-<run>.`, consumer groups and
# database `streetwatch_demo_<run>`, removed when the demo stops (DEMO_KEEP=1 keeps them until the
# next run). One demo at a time (lock .stack/demo/lock).
#
# Environment (all optional):
#   DEMO_ONCE=1        stop after the story (exit 0), non-zero naming the stage that did not deliver
#   DEMO_TIMEOUT=180   seconds the chain may take, from the router's start to the complete story
#   DEMO_KEEP=1        keep the run's topics and database after stopping
#   DEMO_TOKEN         the demo user's API/console token (default: random per run)
#   DEMO_{ROUTER,GATEWAY,PROCESSOR,RTSP,WEBHOOK}_PORT   pin a port (default 8090, 8080, 9464,
#                      8554, 8099, or a free one when that is busy)
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
SCENES=$(bash examples/scenes/make-scenes.sh | tail -n1)
VIDEO="$SCENES/parking.mp4"
[ -s "$VIDEO" ] || die "no scene $VIDEO (examples/scenes/make-scenes.sh)"
echo "model $MODEL_DIR"
echo "video $VIDEO"

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
export DEMO_CAMERA_PASSWORD DEMO_WEBHOOK_SECRET STREETWATCH_DEMO_TOKEN DEMO_EVIDENCE_SIGNING_KEY
(umask 077 && printf '%s\n' "$STREETWATCH_DEMO_TOKEN" >"$DEMO_DIR/token")
eval "$(node "$ex/lib/ports.mjs" ROUTER=8090 GATEWAY=8080 PROCESSOR=9464 RTSP=8554 WEBHOOK=8099)"
export DEMO_ROUTER_PORT DEMO_GATEWAY_PORT DEMO_PROCESSOR_PORT DEMO_RTSP_PORT DEMO_WEBHOOK_PORT

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
for c in gateway processor router; do
  node "$ex/lib/render.mjs" "$ex/$c.yaml" "$DEMO_DIR/config/$c.yaml"
done
node edge-gateway/dist/main.js --validate-config "$DEMO_DIR/config/gateway.yaml"
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
start_bg rtsp-camera /usr/bin/python3 "$root/edge-gateway/testkit/rtsp-server.py" \
  --port "$DEMO_RTSP_PORT" --video "$VIDEO" --user admin --password "$DEMO_CAMERA_PASSWORD" --cache-dir "$CACHE/rtsp-cache"
wait_ready rtsp-camera 180 --line '^READY '
echo "  camera: rtsp://127.0.0.1:$DEMO_RTSP_PORT/Streaming/Channels/102 (digest auth, user admin)"

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
  if [ "$ONCE" = 1 ]; then echo "demo: complete"; else echo "demo: stopped"; fi
  exit 0
}
# Between starts: a story that already failed (budget spent, a process died) ends the demo now.
check_story() { kill -0 "$STORY_PID" 2>/dev/null || finish_story; }

start_bg router node "$root/alert-router/dist/main.js" --config "$DEMO_DIR/config/router.yaml"
wait_ready router 90 --url "http://127.0.0.1:$DEMO_ROUTER_PORT/readyz"

# The narrator reads the run's topics from the beginning (they exist once the router is up).
story_args=(--prefix "$DEMO_TOPIC_PREFIX" --camera cam-03 --department demo-chengguan
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

say "the story (the car stops ~10 s into the clip; budget ${TIMEOUT} s)"
finish_story
