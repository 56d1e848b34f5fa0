#!/usr/bin/env bash
# streetwatch local stack: Apache Kafka 4.x (one KRaft node) + PostgreSQL 15 + SeaweedFS (S3 API,
# evidence pictures) on loopback.
#
#   stack.sh up      install what is missing, start what is not running, wait until ready,
#                    write the settings to .stack/env and print them (idempotent)
#   stack.sh status  what runs, on which ports, reachable or not (exit 0 up, 3 down)
#   stack.sh down    stop both (bounded), delete their throw-away data (idempotent)
#
# Environment (all optional):
#   STREETWATCH_CACHE                      downloads (default ~/.cache/streetwatch)
#   STREETWATCH_STACK_DIR                  runtime state (default <repo>/.stack)
#   STREETWATCH_STACK_KAFKA_PORT           pin the broker port (default: 19092 or the next free)
#   STREETWATCH_STACK_KAFKA_CONTROLLER_PORT  pin the controller port (default: 19093 or next free)
#   STREETWATCH_STACK_PG_PORT              pin the PostgreSQL port (default: 15432 or next free)
#   STREETWATCH_STACK_S3_PORT              pin the S3 gateway port (default: 18333 or next free)
#   STREETWATCH_STACK_TIMEOUT              seconds to wait for readiness (default 60)
#   STREETWATCH_JAVA, STREETWATCH_PG_BIN, STREETWATCH_KAFKA_HEAP   tool overrides
#   STREETWATCH_VENDOR_DIR                 sources no registry serves (default <repo>/../shared/vendor):
#                                          TimescaleDB is built from there once when missing
#   STREETWATCH_TIMESCALEDB=off            run PostgreSQL plain even where TimescaleDB is available
# Failures print one line `stack: <what failed> — <what to do>` on stderr and exit non-zero.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

# shellcheck source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/deps.sh
. "$LOCAL_DIR/lib/deps.sh"
# shellcheck source=lib/tls.sh
. "$LOCAL_DIR/lib/tls.sh"
# shellcheck source=lib/kafka.sh
. "$LOCAL_DIR/lib/kafka.sh"
# shellcheck source=lib/pg.sh
. "$LOCAL_DIR/lib/pg.sh"
# shellcheck source=lib/timescaledb.sh
. "$LOCAL_DIR/lib/timescaledb.sh"
# shellcheck source=lib/video.sh
. "$LOCAL_DIR/lib/video.sh"
# shellcheck source=lib/s3.sh
. "$LOCAL_DIR/lib/s3.sh"

lock_stack() {
  mkdir -p "$STACK_DIR"
  exec 9>"$STACK_DIR/lock"
  flock -w 600 9 ||
    die "another stack.sh has held $STACK_DIR/lock for 10 minutes" "wait for it to finish, or stop it"
}

write_env() {
  local tmp
  tmp="$(mktemp "$STACK_DIR/.env.XXXXXX")"
  {
    printf '# Written by deploy/local/stack.sh up — source it: . %s\n' "$ENV_FILE"
    printf 'export %s=%q\n' \
      STREETWATCH_KAFKA_BROKERS "127.0.0.1:$(state_get KAFKA_PORT)" \
      STREETWATCH_KAFKA_HOME "$KAFKA_HOME" \
      STREETWATCH_KAFKA_SSL_CA_FILE "$TLS_DIR/ca.crt" \
      STREETWATCH_KAFKA_SASL_USERNAME "$KAFKA_ADMIN_USER" \
      STREETWATCH_KAFKA_SASL_PASSWORD_FILE "$KAFKA_SECRETS_DIR/$KAFKA_ADMIN_USER.password" \
      STREETWATCH_KAFKA_SECRETS_DIR "$KAFKA_SECRETS_DIR" \
      PGHOST 127.0.0.1 \
      PGPORT "$(state_get PG_PORT)" \
      PGUSER "$PG_APP_USER" \
      PGPASSWORD "$PG_APP_PASSWORD" \
      PGDATABASE "$PG_APP_DB" \
      STREETWATCH_VIDEO_DIR "$VIDEO_DIR" \
      STREETWATCH_PG_TIMESCALEDB "$(state_get PG_TIMESCALEDB)"
    s3_env_lines
  } >"$tmp"
  chmod 600 "$tmp"
  mv -f "$tmp" "$ENV_FILE"
}

summary() {
  printf 'kafka 127.0.0.1:%s, postgres 127.0.0.1:%s, s3 127.0.0.1:%s' "$(state_get KAFKA_PORT)" "$(state_get PG_PORT)" "$(state_get S3_PORT)"
}

both_ready() {
  kafka_running && pg_running && s3_running &&
    kafka_probe "$(state_get KAFKA_PORT)" && pg_ready "$(state_get PG_PORT)" && s3_probe "$(state_get S3_PORT)"
}

# reuse_port NAME PIN_VAR: the port a running component already has; a pin that disagrees fails.
reuse_port() {
  local port pinned
  port="$(state_get "$1")"
  pinned="${!2:-}"
  if [[ -n "$pinned" && "$pinned" != "$port" ]]; then
    die "$2=$pinned but the running stack uses $port" "run stack.sh down first, then up"
  fi
  printf '%s\n' "$port"
}

# On a failed `up`, stop what this run started so nothing half-ready is left behind.
STARTED=()
cleanup_failed_up() {
  local rc=$?
  ((rc == 0)) && return 0
  local c
  for c in "${STARTED[@]}"; do "${c}_stop" >/dev/null 2>&1 || true; done
  exit "$rc"
}

cmd_up() {
  lock_stack
  if both_ready; then
    [[ -f "$ENV_FILE" ]] || write_env
    say "already running ($(summary)); settings in $ENV_FILE"
    cat "$ENV_FILE"
    return 0
  fi
  local t0=$SECONDS kport cport pgport s3port s3ports=()
  deps_ensure
  java_check
  pg_check
  kafka_fetch
  video_fetch
  pg_running || tsdb_ensure # may build for minutes: before any port is chosen
  s3_fetch                  # the same, once (SeaweedFS from the Go module proxy)

  # Every port is chosen before anything starts, so a busy pinned port fails cleanly.
  if kafka_running; then
    kport="$(reuse_port KAFKA_PORT STREETWATCH_STACK_KAFKA_PORT)"
    cport="$(reuse_port KAFKA_CONTROLLER_PORT STREETWATCH_STACK_KAFKA_CONTROLLER_PORT)"
  else
    kport="$(choose_port 19092 STREETWATCH_STACK_KAFKA_PORT)"
    cport="$(choose_port 19093 STREETWATCH_STACK_KAFKA_CONTROLLER_PORT "$kport")"
  fi
  if pg_running; then
    pgport="$(reuse_port PG_PORT STREETWATCH_STACK_PG_PORT)"
  else
    pgport="$(choose_port 15432 STREETWATCH_STACK_PG_PORT "$kport" "$cport")"
  fi
  if s3_running; then
    s3port="$(reuse_port S3_PORT STREETWATCH_STACK_S3_PORT)"
  else
    s3port="$(choose_port 18333 STREETWATCH_STACK_S3_PORT "$kport" "$cport" "$pgport")"
    # master, volume, filer and the four gRPC ports: free ones, never pinned
    local base p
    for base in 19333 18080 18888 28333 29333 28080 28888; do
      p="$(choose_port "$base" STREETWATCH_STACK_S3_UNPINNED_ "$kport" "$cport" "$pgport" "$s3port" "${s3ports[@]}")"
      s3ports+=("$p")
    done
  fi

  trap cleanup_failed_up EXIT
  if ! kafka_running; then
    kafka_stop # clears leftovers of a broker that died
    say "starting kafka $KAFKA_VERSION on 127.0.0.1:$kport (controller $cport)"
    STARTED+=(kafka)
    kafka_start "$kport" "$cport"
  fi
  if ! pg_running; then
    pg_stop
    say "starting postgresql 15 on 127.0.0.1:$pgport${TSDB_ACTIVE:+ with TimescaleDB $TSDB_ACTIVE}"
    STARTED+=(pg)
    pg_start "$pgport"
  fi
  if ! s3_running; then
    s3_stop
    say "starting seaweedfs (S3 API) on 127.0.0.1:$s3port"
    STARTED+=(s3)
    s3_start "$s3port" "${s3ports[@]}"
  fi
  kafka_wait_ready "$kport"
  kafka_apply_acls_start "$kport"
  pg_wait_ready "$pgport"
  pg_bootstrap "$pgport"
  s3_wait_ready "$s3port"
  s3_bootstrap "$s3port"
  kafka_apply_acls_wait
  write_env
  trap - EXIT
  say "up in $((SECONDS - t0))s ($(summary)); settings in $ENV_FILE"
  cat "$ENV_FILE"
}

cmd_status() {
  local up=1 pid port r
  if kafka_running; then
    pid="$(kafka_pid)" port="$(state_get KAFKA_PORT)"
    if kafka_probe "$port"; then r=yes; else r=no up=0; fi
    printf 'kafka     running  pid %-7s 127.0.0.1:%s (controller %s)  metadata %s  log %s\n' \
      "$pid" "$port" "$(state_get KAFKA_CONTROLLER_PORT)" "$r" "$KAFKA_LOG"
  else
    up=0
    printf 'kafka     not running\n'
  fi
  if pg_running; then
    pid="$(pg_pid)" port="$(state_get PG_PORT)"
    if pg_ready "$port"; then r=yes; else r=no up=0; fi
    printf 'postgres  running  pid %-7s 127.0.0.1:%s  accepting %s  log %s\n' \
      "$pid" "$port" "$r" "$(pg_base)/postgresql.log"
  else
    up=0
    printf 'postgres  not running\n'
  fi
  if s3_running; then
    pid="$(s3_pid)" port="$(state_get S3_PORT)"
    if s3_probe "$port"; then r=yes; else r=no up=0; fi
    printf 's3        running  pid %-7s 127.0.0.1:%s  answering %s  log %s\n' "$pid" "$port" "$r" "$S3_LOG"
  else
    up=0
    printf 's3        not running\n'
  fi
  if ((up)); then
    printf 'settings  %s\n' "$ENV_FILE"
    return 0
  fi
  return 3
}

cmd_down() {
  if [[ ! -d "$STACK_DIR" ]]; then
    say "not running"
    return 0
  fi
  lock_stack
  local was=0
  kafka_running && was=1
  pg_running && was=1
  s3_running && was=1
  kafka_stop
  pg_stop
  s3_stop
  rm -f "$ENV_FILE" "$STATE_FILE"
  if ((was)); then say "stopped; throw-away data removed"; else say "not running"; fi
}

case "${1:-}" in
  up) cmd_up ;;
  status) cmd_status ;;
  down) cmd_down ;;
  *) die "unknown command '${1:-}'" "use: stack.sh up | status | down" 2 ;;
esac
