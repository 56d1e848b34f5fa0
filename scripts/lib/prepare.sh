# shellcheck shell=bash
# Shared by scripts/test.sh and scripts/demo.sh (sourced from the repository root, with $root set).

# npm dependencies: `npm ci` when node_modules is missing or older than package-lock.json.
npm_deps() {
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund
  else
    echo "node_modules up to date"
  fi
}

# The native TF.js backend (@tensorflow/tfjs-node on PyPI's libtensorflow), after npm_deps and the
# stack (its Debian packages: g++, make, python3-pip). npm ci deletes the build; it is restored from
# ~/.cache/streetwatch in ~10 s, built from npm + PyPI the first time (~1 min + 274 MB). Without it
# the gateway runs on wasm: a failed build is reported here, and the tests that compare the two
# backends then fail naming the reason.
native_backend() {
  bash edge-gateway/scripts/build-tfjs-node.sh || echo "native TF.js backend not built (above): the gateway falls back to wasm"
}

# Export the settings deploy/local/stack.sh wrote for the running stack.
stack_env() {
  set -a
  # shellcheck disable=SC1091
  . "${STREETWATCH_STACK_DIR:-$root/.stack}/env"
  set +a
}
