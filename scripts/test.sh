#!/usr/bin/env bash
# The one test command (README: `npm test`). On a fresh machine it installs everything itself:
# system packages and the real Kafka broker + PostgreSQL (deploy/local/stack.sh), npm dependencies,
# the detection model and the test video; then builds, lints and runs every package's tests
# against the real services. Prints `N passed, N failed` at the end; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
say() { printf '\n=== %s\n' "$*"; }

# shellcheck source=scripts/lib/prepare.sh
. "$root/scripts/lib/prepare.sh"

say "npm dependencies"
npm_deps

say "local stack (Kafka + PostgreSQL)"
bash deploy/local/stack.sh up
stack_env

say "native TF.js backend (tfjs-node)"
native_backend

pkgs=${STREETWATCH_TEST_PACKAGES:-schemas platform edge-gateway stream-processor alert-router deploy}

say "build"
npx tsc -b

say "type-check tests"
for pkg in $pkgs; do
  npx tsc -p "$pkg/tsconfig.test.json"
done

say "lint"
# shellcheck disable=SC2086
npx eslint $pkgs examples
npm run -s lint:imports   # import circles (type-only too) and the router's layers: .dependency-cruiser.cjs

say "test assets (model, scenes, kustomize)"
for s in edge-gateway/scripts/fetch-model.sh edge-gateway/scripts/convert-savedmodel.sh examples/scenes/make-scenes.sh examples/scenes/make-tamper-scenes.sh deploy/scripts/kustomize.sh; do
  if [ -f "$s" ]; then bash "$s"; fi
done

pass=0
fail=0
failed_pkgs=()
for pkg in $pkgs; do
  [ -d "$pkg/test" ] || continue
  say "tests: $pkg"
  log=$(mktemp)
  set +e
  (cd "$pkg" && npx tap --reporter=tap 2>&1) | tee "$log"
  rc=${PIPESTATUS[0]}
  set -e
  summary=$(grep -E '^# \{ total: [0-9]+' "$log" | tail -1 || true)
  p=$(sed -nE 's/.*pass: ([0-9]+).*/\1/p' <<<"$summary")
  f=$(sed -nE 's/.*fail: ([0-9]+).*/\1/p' <<<"$summary")
  pass=$((pass + ${p:-0}))
  fail=$((fail + ${f:-0}))
  if [ "$rc" -ne 0 ]; then
    failed_pkgs+=("$pkg")
    [ -z "$f" ] && fail=$((fail + 1))
  fi
  rm -f "$log"
done

echo
if [ ${#failed_pkgs[@]} -gt 0 ]; then echo "failed packages: ${failed_pkgs[*]}"; fi
echo "${pass} passed, ${fail} failed"
[ "$fail" -eq 0 ] && [ ${#failed_pkgs[@]} -eq 0 ]
