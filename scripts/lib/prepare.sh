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

# Export the settings deploy/local/stack.sh wrote for the running stack.
stack_env() {
  set -a
  # shellcheck disable=SC1091
  . "${STREETWATCH_STACK_DIR:-$root/.stack}/env"
  set +a
}
