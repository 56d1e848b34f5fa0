#!/usr/bin/env bash
# Real kustomize (sigs.k8s.io/kustomize/kustomize/v5), built once from the Go module proxy and
# cached; the deploy tests render k8s/ with it.
#
#   deploy/scripts/kustomize.sh              build it if missing; print the binary's path
#   deploy/scripts/kustomize.sh ARGS...      run it (e.g. `build k8s/overlays/production`)
#
# Needs Go >= 1.26 (Debian's golang, or any on PATH; STREETWATCH_GO overrides). The module cache,
# build cache and binary live under $STREETWATCH_CACHE/go (default ~/.cache/streetwatch/go),
# writable (-modcacherw) so the cache can be deleted like any other. Modules are checked by Go
# against go.sum / the checksum database as usual. First build: ~1 min CPU, ~60 MB of modules.
# Failures print one line `kustomize.sh: <what failed> — <what to do>` and exit non-zero.
set -euo pipefail

# v5.8.3 needs Go 1.27; v5.8.2 is the newest that builds with Go 1.26.
KUSTOMIZE_VERSION=v5.8.2
CACHE_DIR="${STREETWATCH_CACHE:-$HOME/.cache/streetwatch}"
GO_ROOT="$CACHE_DIR/go"
BIN_DIR="$GO_ROOT/kustomize-$KUSTOMIZE_VERSION"
BIN="$BIN_DIR/kustomize"
GO="${STREETWATCH_GO:-go}"

die() {
  printf 'kustomize.sh: %s — %s\n' "$1" "$2" >&2
  exit 1
}

built() { [[ -x "$BIN" ]] && "$BIN" version 2>/dev/null | grep -qF "$KUSTOMIZE_VERSION"; }

if ! built; then
  command -v "$GO" >/dev/null 2>&1 || die "go not found ($GO)" "install Go 1.26+ (apt-get install -y golang, or set STREETWATCH_GO)"
  mkdir -p "$BIN_DIR"
  exec 9>"$GO_ROOT/kustomize.lock"
  flock -w 900 9 || die "another build has held $GO_ROOT/kustomize.lock for 15 minutes" "wait for it, or remove the lock"
  if ! built; then
    log="$BIN_DIR/build.log"
    printf 'kustomize.sh: building kustomize %s from the Go module proxy (once; log %s)\n' "$KUSTOMIZE_VERSION" "$log" >&2
    if ! GOPATH="$GO_ROOT" GOMODCACHE="$GO_ROOT/pkg/mod" GOCACHE="$GO_ROOT/build-cache" GOFLAGS=-modcacherw \
      GOBIN="$BIN_DIR" GOTOOLCHAIN=local timeout 1200 "$GO" install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" >"$log" 2>&1; then
      die "go install sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION failed ($(tail -n 1 "$log"))" "read $log; check that the Go module proxy is reachable"
    fi
    built || die "$BIN does not report $KUSTOMIZE_VERSION" "delete $BIN_DIR and rerun"
  fi
  exec 9>&-
fi

if (($# == 0)); then
  printf '%s\n' "$BIN"
else
  exec "$BIN" "$@"
fi
