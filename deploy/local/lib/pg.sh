# shellcheck shell=bash
# PostgreSQL 15 (Debian): a throw-away cluster on a loopback port, owned by the `postgres` OS
# user when we run as root (initdb refuses root). Unix socket in the cluster's own 0700 dir,
# peer auth there for bootstrap; TCP on 127.0.0.1 with scram passwords for everyone else.
# TimescaleDB is preloaded when lib/timescaledb.sh found or installed it (TSDB_ACTIVE).

PG_BIN="${STREETWATCH_PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_PID_FILE="$STACK_DIR/pg.pid"
PG_APP_USER=streetwatch
PG_APP_PASSWORD=streetwatch
PG_APP_DB=streetwatch
if ((EUID == 0)); then PG_SUPER=postgres; else PG_SUPER="$(id -un)"; fi

# as_pg CMD...: run as the cluster's OS owner.
as_pg() {
  if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_base() { state_get PG_BASE; }
pg_pid() { cat "$PG_PID_FILE" 2>/dev/null || true; }

pg_running() {
  local base
  base="$(pg_base)"
  [[ -n "$base" ]] && pid_is_ours "$(pg_pid)" "$base/data"
}

pg_check() {
  [[ -x "$PG_BIN/initdb" && -x "$PG_BIN/pg_ctl" ]] ||
    die "PostgreSQL 15 binaries not found in $PG_BIN" "apt-get install -y postgresql-15 (or set STREETWATCH_PG_BIN)"
  if ((EUID == 0)); then
    id postgres >/dev/null 2>&1 ||
      die "the postgres OS user does not exist" "apt-get install -y postgresql-15 creates it"
  fi
}

# pg_make_base: a dir the cluster owner can write, normally $STACK_DIR/pg. When that user cannot
# reach the repo (e.g. a checkout under /root) or the socket path would be too long, fall back
# to a private dir under /tmp named after the state dir.
pg_make_base() {
  local base="$STACK_DIR/pg"
  mkdir -p "$base"
  if ((EUID == 0)); then
    chown postgres:postgres "$base"
    chmod 700 "$base"
    if ! runuser -u postgres -- test -w "$base" || ((${#base} > 80)); then
      rmdir "$base" 2>/dev/null || true
      base="${TMPDIR:-/tmp}/streetwatch-pg-$(printf '%s' "$STACK_DIR" | sha256sum | cut -c1-12)"
      mkdir -p "$base"
      chown postgres:postgres "$base"
      chmod 700 "$base"
    fi
  fi
  printf '%s\n' "$base"
}

# pg_start PORT: initdb a fresh cluster and start it; pg_ctl -w waits until it accepts connections.
pg_start() {
  local port="$1" base data log
  base="$(pg_make_base)"
  data="$base/data"
  log="$base/postgresql.log"
  rm -rf "$data"
  as_pg touch "$log"
  as_pg timeout 120 "$PG_BIN/initdb" -D "$data" -U "$PG_SUPER" -E UTF8 --locale=C.UTF-8 \
    --auth-local=peer --auth-host=scram-sha-256 --no-sync >>"$log" 2>&1 ||
    die "initdb failed (log: $log)" "read the log; run stack.sh down, then up"
  as_pg tee -a "$data/postgresql.conf" >/dev/null <<EOF

# --- deploy/local/lib/pg.sh: throw-away test cluster ---
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$base'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
$(tsdb_conf)
EOF
  state_set PG_BASE "$base"
  state_set PG_PORT "$port"
  state_set PG_TIMESCALEDB "$TSDB_ACTIVE"
  # setsid: the postmaster outlives the shell/npm/test runner that started it; 9>&-: it must
  # not inherit stack.sh's lock fd (it would hold the lock forever).
  as_pg setsid timeout $((READY_TIMEOUT + 10)) "$PG_BIN/pg_ctl" -D "$data" -l "$log" -w \
    -t "$READY_TIMEOUT" start >"$STACK_DIR/pg_ctl.out" 2>&1 </dev/null 9>&- ||
    die "PostgreSQL did not start on 127.0.0.1:$port within ${READY_TIMEOUT}s (logs: $log, $STACK_DIR/pg_ctl.out)" \
      "read the log; run stack.sh down, then up"
  head -n 1 "$data/postmaster.pid" >"$PG_PID_FILE"
}

pg_ready() {
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$1" -t 2 >/dev/null 2>&1
}

pg_wait_ready() {
  local port="$1" deadline=$((SECONDS + READY_TIMEOUT))
  until pg_ready "$port"; do
    pg_running || die "PostgreSQL exited during start-up (log: $(pg_base)/postgresql.log)" "read the log; rerun stack.sh up"
    ((SECONDS < deadline)) ||
      die "PostgreSQL did not accept connections on 127.0.0.1:$port within ${READY_TIMEOUT}s" \
        "read $(pg_base)/postgresql.log; run stack.sh down, then up"
    sleep 0.5
  done
}

# pg_bootstrap PORT: role + database `streetwatch` (idempotent), then prove a password login.
pg_bootstrap() {
  local port="$1" base
  base="$(pg_base)"
  as_pg timeout 30 "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$base" -p "$port" -U "$PG_SUPER" \
    -d postgres >/dev/null 2>"$STACK_DIR/pg-bootstrap.err" <<SQL ||
SELECT format('CREATE ROLE %I LOGIN CREATEDB PASSWORD %L', '$PG_APP_USER', '$PG_APP_PASSWORD')
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_APP_USER') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', '$PG_APP_DB', '$PG_APP_USER')
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$PG_APP_DB') \gexec
SQL
    die "creating role/database $PG_APP_DB failed ($(head -c 300 "$STACK_DIR/pg-bootstrap.err" | tr '\n' ' '))" \
      "run stack.sh down, then up"
  PGPASSWORD="$PG_APP_PASSWORD" timeout 15 "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$port" \
    -U "$PG_APP_USER" -d "$PG_APP_DB" -c 'SELECT 1' >/dev/null 2>"$STACK_DIR/pg-bootstrap.err" ||
    die "password login as $PG_APP_USER on 127.0.0.1:$port failed ($(head -c 300 "$STACK_DIR/pg-bootstrap.err" | tr '\n' ' '))" \
      "run stack.sh down, then up"
  rm -f "$STACK_DIR/pg-bootstrap.err"
}

# pg_stop: fast shutdown (bounded), then immediate, then SIGKILL. Removes the cluster.
pg_stop() {
  local base pid
  base="$(pg_base)"
  pid="$(pg_pid)"
  if [[ -n "$base" ]] && pid_is_ours "$pid" "$base/data"; then
    if ! as_pg timeout 40 "$PG_BIN/pg_ctl" -D "$base/data" stop -m fast -w -t 30 >/dev/null 2>&1; then
      as_pg timeout 15 "$PG_BIN/pg_ctl" -D "$base/data" stop -m immediate -w -t 10 >/dev/null 2>&1 ||
        kill -KILL "$pid" 2>/dev/null || true
      wait_gone "$pid" 10 || die "postgres pid $pid survived SIGKILL" "check it with ps; kill it by hand"
    fi
  fi
  if [[ -n "$base" ]]; then
    rm -rf "$base/data"
    [[ "$base" == "$STACK_DIR/pg" ]] || rm -rf "$base"
  fi
  rm -f "$PG_PID_FILE"
  state_unset PG_PORT
  state_unset PG_BASE
  state_unset PG_TIMESCALEDB
}
