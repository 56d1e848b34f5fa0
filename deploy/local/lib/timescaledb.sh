# shellcheck shell=bash
# TimescaleDB for the local PostgreSQL 15. No reachable registry serves it; its source is in the
# vendor folder beside the repository (`../shared/vendor/`, or STREETWATCH_VENDOR_DIR). When the
# extension is missing and the source is there, we check the tarball's sha256, build it once
# (about 2.5 min of CPU) into a staged tree under the cache, and copy that tree into Debian's
# PostgreSQL 15 dirs (root only: PostgreSQL 15 finds extensions only in its own sharedir). The
# cluster then starts with `shared_preload_libraries = 'timescaledb'`.
# Without the source (a user's machine), or with STREETWATCH_TIMESCALEDB=off, one line says so and
# PostgreSQL runs plain: the services fall back to native partitioning + rollup tables.

TSDB_VERSION=2.28.3
TSDB_SHA256=ec2f7de0ba53a473c01e0a57e09053898c6b1f7487228caff0f1d31c8cb2dedb
TSDB_TARBALL="timescaledb-$TSDB_VERSION.tar.gz"
# tsdb_vendor_dir: STREETWATCH_VENDOR_DIR, else `../shared/vendor` beside the repository, else (a git
# worktree elsewhere) beside the main checkout that owns it.
tsdb_vendor_dir() {
  local common
  if [[ -n "${STREETWATCH_VENDOR_DIR:-}" ]]; then
    printf '%s\n' "$STREETWATCH_VENDOR_DIR"
    return 0
  fi
  if [[ ! -d "$REPO_DIR/../shared/vendor" ]] &&
    common="$(git -C "$REPO_DIR" rev-parse --path-format=absolute --git-common-dir 2>/dev/null)" &&
    [[ -d "$common/../../shared/vendor" ]]; then
    (cd "$common/../../shared/vendor" && pwd)
    return 0
  fi
  printf '%s\n' "$REPO_DIR/../shared/vendor"
}
VENDOR_DIR="$(tsdb_vendor_dir)"
TSDB_CACHE="$CACHE_DIR/timescaledb-$TSDB_VERSION-pg15"
TSDB_STAGE="$TSDB_CACHE/stage"
TSDB_STAMP="$TSDB_CACHE/stage.sha256" # sha256sum of every staged file, written last
TSDB_BUILD_DEPS=(postgresql-server-dev-15 cmake gcc make)
# Set by tsdb_ensure: the version PostgreSQL preloads, or empty (plain).
TSDB_ACTIVE=""

# Debian's PostgreSQL 15 dirs (pg_config of the server we run).
tsdb_pg_dir() { "$PG_BIN/pg_config" "--$1"; }

tsdb_installed() {
  local lib share
  lib="$(tsdb_pg_dir pkglibdir)" share="$(tsdb_pg_dir sharedir)"
  [[ -f "$lib/timescaledb-$TSDB_VERSION.so" && -f "$lib/timescaledb.so" &&
    -f "$share/extension/timescaledb.control" && -f "$share/extension/timescaledb--$TSDB_VERSION.sql" ]] &&
    grep -q "default_version = '$TSDB_VERSION'" "$share/extension/timescaledb.control"
}

# tsdb_ensure: set TSDB_ACTIVE when PostgreSQL can preload TimescaleDB, installing it if we can.
tsdb_ensure() {
  TSDB_ACTIVE=""
  if [[ "${STREETWATCH_TIMESCALEDB:-auto}" == off ]]; then
    say "TimescaleDB off (STREETWATCH_TIMESCALEDB=off): PostgreSQL runs plain"
    return 0
  fi
  if tsdb_installed; then
    TSDB_ACTIVE="$TSDB_VERSION"
    return 0
  fi
  local src="$VENDOR_DIR/$TSDB_TARBALL"
  if [[ ! -f "$src" ]]; then
    say "TimescaleDB not installed and its source is absent ($src; set STREETWATCH_VENDOR_DIR): PostgreSQL runs plain"
    return 0
  fi
  if ((EUID != 0)); then
    say "TimescaleDB not installed and installing it into $(tsdb_pg_dir sharedir) needs root: PostgreSQL runs plain"
    return 0
  fi
  mkdir -p "$TSDB_CACHE"
  exec 8>"$TSDB_CACHE/lock"
  flock -w 900 8 || die "another build of TimescaleDB has held $TSDB_CACHE/lock for 15 minutes" "wait for it, or remove the lock"
  if ! tsdb_stage_ok; then
    tsdb_build "$src"
  fi
  tsdb_install
  exec 8>&-
  tsdb_installed || die "TimescaleDB $TSDB_VERSION was copied into PostgreSQL's dirs but is not found there" \
    "check $TSDB_STAGE and $(tsdb_pg_dir pkglibdir), or set STREETWATCH_TIMESCALEDB=off"
  TSDB_ACTIVE="$TSDB_VERSION"
}

# tsdb_stage_ok: a complete staged build whose files still match the sums written after it.
tsdb_stage_ok() {
  [[ -s "$TSDB_STAMP" && -d "$TSDB_STAGE" ]] || return 1
  (cd "$TSDB_STAGE" && sha256sum --quiet --check "$TSDB_STAMP" >/dev/null 2>&1)
}

tsdb_build() {
  local src="$1" sum missing=() p log="$TSDB_CACHE/build.log" t0=$SECONDS
  sum="$(sha256sum "$src" | cut -d' ' -f1)"
  [[ "$sum" == "$TSDB_SHA256" ]] ||
    die "$src has sha256 $sum, expected $TSDB_SHA256" "replace it with the file described in $VENDOR_DIR/README.md, or set STREETWATCH_TIMESCALEDB=off"
  for p in "${TSDB_BUILD_DEPS[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  if ((${#missing[@]} > 0)); then
    say "installing TimescaleDB build dependencies: ${missing[*]}"
    apt_update_once
    DEBIAN_FRONTEND=noninteractive timeout 1800 apt-get install -y "${missing[@]}" >>"$APT_LOG" 2>&1 ||
      die "apt-get install failed for: ${missing[*]} (log: $APT_LOG)" "check the network/apt sources, or set STREETWATCH_TIMESCALEDB=off"
  fi
  say "building TimescaleDB $TSDB_VERSION from $src (once, about 2.5 min; log: $log)"
  rm -rf "$TSDB_CACHE/src" "$TSDB_STAGE" "$TSDB_STAMP"
  mkdir -p "$TSDB_CACHE/src"
  tar -xzf "$src" -C "$TSDB_CACHE/src" --strip-components=1 ||
    die "cannot extract $src into $TSDB_CACHE/src" "check free disk space, then rerun"
  if ! (
    cd "$TSDB_CACHE/src" &&
      PG_CONFIG="$PG_BIN/pg_config" ./bootstrap -DPG_CONFIG="$PG_BIN/pg_config" -DREGRESS_CHECKS=OFF -DTAP_CHECKS=OFF \
        -DWARNINGS_AS_ERRORS=OFF -DLINTER=OFF -DSEND_TELEMETRY_DEFAULT=NO -DCMAKE_BUILD_TYPE=Release &&
      cd build && make -j"$(nproc)" && make install DESTDIR="$TSDB_STAGE"
  ) >"$log" 2>&1; then
    die "building TimescaleDB failed (log: $log)" "read the log; or set STREETWATCH_TIMESCALEDB=off to run plain"
  fi
  (cd "$TSDB_STAGE" && find . -type f -print0 | sort -z | xargs -0 sha256sum) >"$TSDB_STAMP.tmp"
  mv -f "$TSDB_STAMP.tmp" "$TSDB_STAMP"
  rm -rf "$TSDB_CACHE/src"
  say "built TimescaleDB $TSDB_VERSION in $((SECONDS - t0))s into $TSDB_STAGE"
}

# tsdb_install: copy the staged library and extension files into PostgreSQL's own dirs.
tsdb_install() {
  local lib share
  lib="$(tsdb_pg_dir pkglibdir)" share="$(tsdb_pg_dir sharedir)"
  [[ -d "$TSDB_STAGE$lib" && -d "$TSDB_STAGE$share/extension" ]] ||
    die "the staged TimescaleDB build in $TSDB_STAGE has no $lib or $share/extension" "remove $TSDB_CACHE and rerun"
  if ! cp -f "$TSDB_STAGE$lib"/timescaledb*.so "$lib/" ||
    ! cp -f "$TSDB_STAGE$share/extension"/timescaledb* "$share/extension/"; then
    die "copying TimescaleDB into $lib and $share/extension failed" "check permissions, or set STREETWATCH_TIMESCALEDB=off"
  fi
  say "installed TimescaleDB $TSDB_VERSION into $lib and $share/extension"
}

# tsdb_conf: the postgresql.conf lines that preload it (nothing when plain).
tsdb_conf() {
  [[ -n "$TSDB_ACTIVE" ]] || return 0
  cat <<EOF
shared_preload_libraries = 'timescaledb'
timescaledb.telemetry_level = off
# every test database gets its own job scheduler: room for many at once
max_worker_processes = 64
timescaledb.max_background_workers = 48
EOF
}
