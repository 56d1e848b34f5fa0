# shellcheck shell=bash
# Object storage (S3 API) for evidence pictures: SeaweedFS (Apache-2.0), built once from the Go
# module proxy into the cache, run as one `weed server` (master + volume + filer + S3 gateway)
# on loopback, throw-away data under $STACK_DIR/s3, log in $STACK_DIR/s3.log.
#
# Why SeaweedFS: a production object store (not a fake) whose S3 gateway has what we must test:
# SigV4 with identities whose actions are limited to a bucket/prefix (a box may only PUT under
# its own prefix), presigned URLs and bucket lifecycle rules (Expiration by prefix, stored as
# the S3 XML and applied as per-write TTLs). s3s-fs (crates.io) is "experimental", single
# credential, no per-identity policy and no lifecycle: we could not test least privilege with
# it. MinIO is AGPL. The price is a one-time build (~4.5 min, ~2 GB of modules).

S3_WEED_MODULE=github.com/seaweedfs/seaweedfs
S3_WEED_VERSION=v0.0.0-20261109003541-7506e5f91cd6        # pinned (its tags are not semver)
S3_WEED_SUM='h1:LOYZFToHq9F7pSR6lkPGfkM8RmHlVFrzndKdhmNZjrU='  # go.sum hash of the module zip
S3_WEED_HOME="$CACHE_DIR/seaweedfs-$S3_WEED_VERSION"      # weed + weed.sha256
S3_WEED_BIN="$S3_WEED_HOME/weed"
S3_GO_DIR="$CACHE_DIR/go"                                  # GOPATH/GOMODCACHE/GOCACHE of the build
S3_BUILD_LOG="$CACHE_DIR/seaweedfs-build.log"
S3_RUN_DIR="$STACK_DIR/s3"
S3_CONFIG="$S3_RUN_DIR/s3.json"
S3_LOG="$STACK_DIR/s3.log"
S3_PID_FILE="$STACK_DIR/s3.pid"
S3_BUCKET=streetwatch-evidence
S3_REGION=us-east-1
# Gateway ids the local stack has an S3 identity for (PUT under edge/<id>/ only).
S3_EDGE_BOXES=(box-a box-b)

s3_env() {
  # Everything of the build lives in the cache: deleting it resets the build.
  export GOPATH="$S3_GO_DIR" GOMODCACHE="$S3_GO_DIR/pkg/mod" GOCACHE="$S3_GO_DIR/build-cache"
  export GOFLAGS=-modcacherw GOTOOLCHAIN=local
}

s3_verify_bin() {
  [[ -x "$S3_WEED_BIN" && -f "$S3_WEED_BIN.sha256" ]] &&
    (cd "$S3_WEED_HOME" && sha256sum --quiet -c weed.sha256 >/dev/null 2>&1)
}

# s3_fetch: build the pinned SeaweedFS once (checked module hash), cache the binary with its
# sha256; later runs only verify the checksum. Concurrent callers wait on one lock.
s3_fetch() {
  s3_verify_bin && return 0
  local go_bin="${STREETWATCH_GO:-$(command -v go || echo /usr/local/go/bin/go)}"
  [[ -x "$go_bin" ]] || die "go not found (needed once to build SeaweedFS)" "install Go >= 1.24 (go.dev/dl or the Go proxy's golang.org/toolchain) and put it on PATH, or set STREETWATCH_GO"
  mkdir -p "$CACHE_DIR"
  exec 8>"$CACHE_DIR/.seaweedfs-build.lock"
  flock -w 1200 8 || die "another SeaweedFS build has held $CACHE_DIR/.seaweedfs-build.lock for 20 minutes" "wait for it, or delete the lock"
  if s3_verify_bin; then exec 8>&-; return 0; fi
  say "building SeaweedFS $S3_WEED_VERSION from the Go module proxy (once; ~5 min, ~2 GB of modules; log: $S3_BUILD_LOG)"
  local info dir sum tmp
  (
    s3_env
    info="$(timeout 900 "$go_bin" mod download -json "$S3_WEED_MODULE@$S3_WEED_VERSION" 2>&1)" || { printf '%s\n' "$info"; exit 1; }
    printf '%s\n' "$info"
    dir="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' <<<"$info")"
    sum="$(sed -n 's/^[[:space:]]*"Sum": "\(.*\)",$/\1/p' <<<"$info")"
    [[ "$sum" == "$S3_WEED_SUM" ]] || { echo "module hash $sum != pinned $S3_WEED_SUM"; exit 2; }
    tmp="$S3_WEED_BIN.tmp.$$"
    mkdir -p "$S3_WEED_HOME"
    cd "$dir" && timeout 3600 "$go_bin" build -trimpath -ldflags '-s -w' -o "$tmp" ./weed && mv -f "$tmp" "$S3_WEED_BIN"
  ) >"$S3_BUILD_LOG" 2>&1 || {
    exec 8>&-
    die "building SeaweedFS $S3_WEED_VERSION failed: $(grep -v '^go: downloading' "$S3_BUILD_LOG" | tail -n 1) (log: $S3_BUILD_LOG)" \
      "check access to the Go module proxy (GOPROXY) and disk space under $CACHE_DIR, then rerun"
  }
  (cd "$S3_WEED_HOME" && sha256sum weed >weed.sha256)
  rm -rf "$S3_GO_DIR/build-cache" # ~1 GB of compiler cache; the binary is what we keep
  exec 8>&-
}

s3_pid() { cat "$S3_PID_FILE" 2>/dev/null || true; }
s3_running() { pid_is_ours "$(s3_pid)" "$S3_RUN_DIR/data"; }

s3_secret() { head -c 24 /dev/urandom | base64 | tr '+/' 'AB' | tr -d '='; }
s3_key_id() { printf 'SW%s' "$(head -c 9 /dev/urandom | base64 | tr '+/' 'XY' | tr -d '=' | tr '[:lower:]' '[:upper:]')"; }

# s3_write_config: identities (fresh random keys each start) — admin (stack, tests), router
# (read), one per local edge box (PUT under its own prefix only) — in s3.json and state.
s3_write_config() {
  local ak sk box up ids=()
  ak="$(s3_key_id)" sk="$(s3_secret)"
  state_set S3_ADMIN_KEY "$ak"; state_set S3_ADMIN_SECRET "$sk"
  ids+=("{\"name\":\"streetwatch-admin\",\"credentials\":[{\"accessKey\":\"$ak\",\"secretKey\":\"$sk\"}],\"actions\":[\"Admin\",\"Read\",\"List\",\"Tagging\",\"Write\"]}")
  ak="$(s3_key_id)" sk="$(s3_secret)"
  state_set S3_ROUTER_KEY "$ak"; state_set S3_ROUTER_SECRET "$sk"
  ids+=("{\"name\":\"streetwatch-router\",\"credentials\":[{\"accessKey\":\"$ak\",\"secretKey\":\"$sk\"}],\"actions\":[\"Read:$S3_BUCKET/edge/*\"]}")
  for box in "${S3_EDGE_BOXES[@]}"; do
    ak="$(s3_key_id)" sk="$(s3_secret)" up="$(tr '[:lower:]-' '[:upper:]_' <<<"$box")"
    state_set "S3_EDGE_${up}_KEY" "$ak"; state_set "S3_EDGE_${up}_SECRET" "$sk"
    ids+=("{\"name\":\"streetwatch-edge-$box\",\"credentials\":[{\"accessKey\":\"$ak\",\"secretKey\":\"$sk\"}],\"actions\":[\"Write:$S3_BUCKET/edge/$box/*\"]}")
  done
  local IFS=,
  (umask 077 && printf '{"identities":[%s]}\n' "${ids[*]}" >"$S3_CONFIG")
}

# s3_start S3 MASTER VOLUME FILER S3_GRPC MASTER_GRPC VOLUME_GRPC FILER_GRPC: fresh data dir,
# one `weed server` in its own session.
s3_start() {
  local port="$1" mport="$2" vport="$3" fport="$4" sg="$5" mg="$6" vg="$7" fg="$8" pid
  rm -rf "$S3_RUN_DIR"
  mkdir -p "$S3_RUN_DIR/data"
  : >"$S3_LOG"
  s3_write_config
  setsid "$S3_WEED_BIN" -logtostderr=true server -dir="$S3_RUN_DIR/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
    -master.port="$mport" -master.port.grpc="$mg" -master.volumeSizeLimitMB=64 -master.telemetry=false \
    -volume.port="$vport" -volume.port.grpc="$vg" -volume.max=16 \
    -filer -filer.port="$fport" -filer.port.grpc="$fg" \
    -filer.localSocket="$S3_RUN_DIR/filer.sock" \
    -s3 -s3.port="$port" -s3.port.grpc="$sg" -s3.port.iceberg=0 -s3.port.lance=0 \
    -s3.localSocket="$S3_RUN_DIR/s3.sock" -s3.config="$S3_CONFIG" \
    >>"$S3_LOG" 2>&1 </dev/null 9>&- 8>&- &
  pid=$!
  printf '%s\n' "$pid" >"$S3_PID_FILE"
  state_set S3_PORT "$port"
  state_set S3_MASTER_PORT "$mport"
}

# s3_curl ARGS...: a SigV4-signed request as the stack's admin identity.
s3_curl() {
  curl -sS -o /dev/null -w '%{http_code}' --max-time 10 --aws-sigv4 "aws:amz:$S3_REGION:s3" \
    --user "$(state_get S3_ADMIN_KEY):$(state_get S3_ADMIN_SECRET)" "$@"
}

# s3_probe PORT: the S3 gateway answers a signed ListBuckets.
s3_probe() { [[ "$(s3_curl "http://127.0.0.1:$1/" 2>/dev/null)" == 200 ]]; }

s3_wait_ready() {
  local port="$1" deadline=$((SECONDS + READY_TIMEOUT))
  until s3_probe "$port"; do
    s3_running || die "SeaweedFS exited during start-up (log: $S3_LOG)" "read the end of the log; then rerun stack.sh up"
    ((SECONDS < deadline)) ||
      die "SeaweedFS's S3 gateway did not answer on 127.0.0.1:$port within ${READY_TIMEOUT}s (log: $S3_LOG)" \
        "read the log, then rerun stack.sh up (or raise STREETWATCH_STACK_TIMEOUT)"
    sleep 0.5
  done
}

# s3_bootstrap PORT: the evidence bucket and its lifecycle rules (s3/lifecycle.json: `edge/`
# objects expire 760 days after upload — work orders are kept 730 days after they finish), through
# the AWS SDK in the repo's node_modules (lib/s3-init.mjs; curl's SigV4 does not sign the
# lifecycle PUT's body the way S3 checks it).
s3_bootstrap() {
  local port="$1" out
  [[ -d "$REPO_DIR/node_modules/@aws-sdk/client-s3" ]] ||
    die "node_modules/@aws-sdk/client-s3 is missing (needed to set up the evidence bucket)" "run npm ci in $REPO_DIR first (npm test does)"
  if ! out="$(S3_ACCESS_KEY="$(state_get S3_ADMIN_KEY)" S3_SECRET_KEY="$(state_get S3_ADMIN_SECRET)" NODE_NO_WARNINGS=1 \
    timeout 60 node "$LOCAL_DIR/lib/s3-init.mjs" "http://127.0.0.1:$port" "$S3_REGION" "$S3_BUCKET" "$LOCAL_DIR/s3/lifecycle.json" 2>&1)"; then
    die "setting up bucket $S3_BUCKET failed: $(tail -n 1 <<<"$out") (log: $S3_LOG)" "read the log, then rerun stack.sh up"
  fi
}

# s3_stop: SIGTERM, bounded; SIGKILL after 10 s (throw-away data: nothing to flush). Removes the data.
s3_stop() {
  local pid
  pid="$(s3_pid)"
  if pid_is_ours "$pid" "$S3_RUN_DIR/data"; then
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_gone "$pid" 10; then
      say "seaweedfs did not stop within 10 s; killing pid $pid"
      kill -KILL "$pid" 2>/dev/null || true
      wait_gone "$pid" 10 || die "seaweedfs pid $pid survived SIGKILL" "check it with ps; kill it by hand"
    fi
  fi
  rm -rf "$S3_RUN_DIR" "$S3_PID_FILE"
  local k
  for k in S3_PORT S3_MASTER_PORT S3_ADMIN_KEY S3_ADMIN_SECRET S3_ROUTER_KEY S3_ROUTER_SECRET; do state_unset "$k"; done
  for k in "${S3_EDGE_BOXES[@]}"; do
    k="$(tr '[:lower:]-' '[:upper:]_' <<<"$k")"
    state_unset "S3_EDGE_${k}_KEY"; state_unset "S3_EDGE_${k}_SECRET"
  done
}

# s3_env_lines: the settings for .stack/env (printf pairs).
s3_env_lines() {
  local box up
  printf 'export %s=%q\n' \
    STREETWATCH_S3_ENDPOINT "http://127.0.0.1:$(state_get S3_PORT)" \
    STREETWATCH_S3_REGION "$S3_REGION" \
    STREETWATCH_S3_BUCKET "$S3_BUCKET" \
    STREETWATCH_S3_ADMIN_ACCESS_KEY "$(state_get S3_ADMIN_KEY)" \
    STREETWATCH_S3_ADMIN_SECRET_KEY "$(state_get S3_ADMIN_SECRET)" \
    STREETWATCH_S3_ROUTER_ACCESS_KEY "$(state_get S3_ROUTER_KEY)" \
    STREETWATCH_S3_ROUTER_SECRET_KEY "$(state_get S3_ROUTER_SECRET)"
  for box in "${S3_EDGE_BOXES[@]}"; do
    up="$(tr '[:lower:]-' '[:upper:]_' <<<"$box")"
    printf 'export %s=%q\n' \
      "STREETWATCH_S3_EDGE_${up}_ACCESS_KEY" "$(state_get "S3_EDGE_${up}_KEY")" \
      "STREETWATCH_S3_EDGE_${up}_SECRET_KEY" "$(state_get "S3_EDGE_${up}_SECRET")"
  done
}
