#!/usr/bin/env bash
# Build the native TF.js backend (@tensorflow/tfjs-node) from registries only, so the gateway's
# detector runs on libtensorflow instead of wasm (shared/NOTES.md, "tfjs-node works offline").
#
#   scripts/build-tfjs-node.sh [cpu]      (scripts/lib/prepare.sh runs it after npm ci)
#
# npm installs the package (an optionalDependency of edge-gateway) WITHOUT its install script: the
# root package.json's allowScripts denies it, because that script downloads libtensorflow from a
# host that is not a registry. This script then:
#   1. downloads the TensorFlow wheel pinned in edge-gateway/native.lock.json from PyPI
#      (pip --require-hashes: the lock's sha256), and takes libtensorflow_cc.so.2 (the C API),
#      libtensorflow_framework.so.2 and the C headers from it (debug sections stripped);
#   2. builds the addon (node-pre-gyp, npm's bundled node-gyp, node's headers from its prefix);
#   3. keeps both in the cache, with a SHA256SUMS, and links them into node_modules.
# `npm ci` deletes node_modules: the next run restores from the cache in about a second
# (checksums verified), without network or compiler.
#
# Cache: ${STREETWATCH_CACHE:-$HOME/.cache/streetwatch}/tfjs-node/<package>-<version>-<wheel>/
#        {deps/{lib,include}, addon/tfjs_binding.node, SHA256SUMS}  (~640 MB; the wheel ~274 MB
#        in tfjs-node/wheels/ can be deleted once built).
# Idempotent; safe to run concurrently (flock). Prints `backend ready: ...` on success.
# Exit codes: 0 built/restored/already there, 2 usage, 3 checksum mismatch, 4 download failed,
# 5 build failed (the gateway then runs on wasm; the message says what is missing).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
lock="${STREETWATCH_NATIVE_LOCK:-${here}/../native.lock.json}"
cache="${STREETWATCH_CACHE:-$HOME/.cache/streetwatch}"
flavour="${1:-cpu}"
PYTHON="${STREETWATCH_PYTHON:-/usr/bin/python3}"

say() { echo "build-tfjs-node: $*" >&2; }
die() {
  local code=$1
  shift
  say "$*"
  exit "$code"
}

# Lock values, one a line (node is there: npm ran).
vars="$(node -e '
  const l = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[process.argv[2]];
  if (!l) { console.error("build-tfjs-node: no \"" + process.argv[2] + "\" entry in " + process.argv[1]); process.exit(2); }
  const p = l.pypi;
  console.log([l.npmPackage, l.npmVersion, p.project, p.version, p.platform, p.pythonVersion, p.wheel, p.sha256].join("\n"));' "$lock" "$flavour")" || exit 2
{
  read -r npm_pkg
  read -r npm_version
  read -r py_project
  read -r py_version
  read -r py_platform
  read -r py_python
  read -r wheel
  read -r wheel_sha
} <<<"$vars"

pkgdir="${repo}/node_modules/${npm_pkg}"
key="${npm_pkg##*/}-${npm_version}-${wheel%.whl}"
dir="${cache}/tfjs-node/${key}"
mkdir -p "$dir" "${cache}/tfjs-node/wheels"
exec 9>"${dir}/.lock"
flock -w 900 9 || die 5 "another build holds ${dir}/.lock"

loads() {
  (cd "$repo" && node -e '
    const tf = require(process.argv[1]);
    const v = tf.backend().binding && tf.backend().binding.TF_Version;
    if (tf.getBackend() !== "tensorflow") process.exit(1);
    console.log("backend ready: " + process.argv[1] + " " + tf.version["tfjs-node"] + " on TensorFlow " + (v || "?"));' "$npm_pkg") 2>/dev/null
}

# 0. The npm package itself. An npm without allowScripts runs its install script, which fails
#    offline, and drops the optional dependency: put it back without scripts.
if [ ! -f "${pkgdir}/package.json" ]; then
  say "${npm_pkg} is not in node_modules (an npm without allowScripts ran its install script and dropped it): installing it without scripts"
  (cd "$repo" && npm install --no-save --ignore-scripts --no-audit --no-fund >&2) || die 4 "npm install ${npm_pkg} failed"
fi
got="$(node -p "require('${pkgdir}/package.json').version")"
[ "$got" = "$npm_version" ] || die 2 "node_modules has ${npm_pkg} ${got}, native.lock.json wants ${npm_version}: run npm ci"

stamp="${pkgdir}/.streetwatch-native"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ] && loads; then exit 0; fi

# 1. libtensorflow from the wheel, into the cache (once).
if [ ! -f "${dir}/deps/.complete" ]; then
  whl="${cache}/tfjs-node/wheels/${wheel}"
  if [ ! -f "$whl" ] || [ "$(sha256sum "$whl" | cut -d' ' -f1)" != "$wheel_sha" ]; then
    say "downloading ${py_project}==${py_version} (${wheel}, ~274 MB) from PyPI"
    "$PYTHON" -m pip --version >/dev/null 2>&1 || die 5 "pip is missing for ${PYTHON} (Debian: python3-pip)"
    req="$(mktemp)"
    printf '%s==%s --hash=sha256:%s\n' "$py_project" "$py_version" "$wheel_sha" >"$req"
    if ! "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: --require-hashes --platform "$py_platform" \
      --python-version "$py_python" -r "$req" -d "${cache}/tfjs-node/wheels" >&2; then
      rm -f "$req"
      die 4 "pip download ${py_project}==${py_version} failed (or its sha256 differs from native.lock.json)"
    fi
    rm -f "$req"
    [ -f "$whl" ] || die 4 "pip did not produce ${whl}"
  fi
  tmp="$(mktemp -d "${dir}/.deps.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  say "extracting libtensorflow and its C headers from ${wheel}"
  "$PYTHON" - "$whl" "$tmp" <<'PY'
import os, re, shutil, sys, zipfile
whl, out = sys.argv[1], sys.argv[2]
libs = {"tensorflow/libtensorflow_cc.so.2": "lib/libtensorflow_cc.so.2",
        "tensorflow/libtensorflow_framework.so.2": "lib/libtensorflow_framework.so.2"}
headers = re.compile(r"^tensorflow/include/(tensorflow/c/.*\.h|tensorflow/core/platform/ctstring.*\.h|tsl/platform/ctstring.*\.h|xla/tsl/c/.*\.h)$")
found = set()
with zipfile.ZipFile(whl) as z:
    for name in z.namelist():
        dest = libs.get(name)
        if dest is None:
            m = headers.match(name)
            dest = "include/" + m.group(1) if m else None
        if dest is None:
            continue
        found.add(name)
        path = os.path.join(out, dest)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with z.open(name) as src, open(path, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
missing = [l for l in libs if l not in found]
if missing or not any(n.endswith("tensorflow/c/c_api.h") for n in found):
    sys.exit(f"wheel lacks {missing or 'tensorflow/c/c_api.h'}")
PY
  strip --strip-debug "${tmp}/lib/"*.so.2 2>/dev/null || say "strip not available: libraries kept with debug sections"
  # The names the addon links against and the one tfjs-node's install.js checks for.
  ln -s libtensorflow_cc.so.2 "${tmp}/lib/libtensorflow.so"
  ln -s libtensorflow_cc.so.2 "${tmp}/lib/libtensorflow.so.2"
  ln -s libtensorflow_cc.so.2 "${tmp}/lib/libtensorflow.so.2.9.1"
  ln -s libtensorflow_framework.so.2 "${tmp}/lib/libtensorflow_framework.so"
  touch "${tmp}/.complete"
  rm -rf "${dir}/deps" "${dir}/addon" "${dir}/SHA256SUMS"
  mv "$tmp" "${dir}/deps"
  trap - EXIT
fi

link_deps() {
  rm -rf "${pkgdir}/deps"
  ln -s "${dir}/deps" "${pkgdir}/deps"
}

# 2. The addon, built once against those headers and libraries.
napi="$(node -e '
  const v = require(process.argv[1]).binary.napi_versions.filter((n) => n <= Number(process.versions.napi));
  console.log(Math.max(...v));' "${pkgdir}/package.json")"
modpath="${pkgdir}/lib/napi-v${napi}"
if [ ! -f "${dir}/addon/tfjs_binding.node" ]; then
  link_deps
  node_prefix="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
  [ -f "${node_prefix}/include/node/node_api.h" ] || die 5 "node's headers are not in ${node_prefix}/include/node (Debian: nodejs ships them; nvm/tarball installs have them too)"
  { command -v g++ && command -v make; } >/dev/null || die 5 "g++ and make are needed to build the addon (Debian: g++ make)"
  npm_cli="$(readlink -f "$(command -v npm)")"
  node_gyp="$(dirname "$(dirname "$npm_cli")")/node_modules/node-gyp/bin/node-gyp.js"
  [ -f "$node_gyp" ] || die 5 "npm's bundled node-gyp not found at ${node_gyp}"
  pre_gyp="$(cd "$pkgdir" && node -p "require.resolve('@mapbox/node-pre-gyp/bin/node-pre-gyp')")"
  say "building the addon (node-pre-gyp, N-API v${napi}, headers ${node_prefix}/include/node)"
  t0=$(date +%s)
  buildlog="${dir}/build.log"
  if ! (cd "$pkgdir" && npm_config_node_gyp="$node_gyp" node "$pre_gyp" install --build-from-source --nodedir="$node_prefix") >"$buildlog" 2>&1; then
    tail -40 "$buildlog" >&2
    die 5 "the addon did not build (whole log: ${buildlog})"
  fi
  built="$(find "${pkgdir}/lib" -name tfjs_binding.node | head -1)"
  [ -n "$built" ] || die 5 "the build produced no tfjs_binding.node"
  mkdir -p "${dir}/addon"
  cp "$built" "${dir}/addon/tfjs_binding.node"
  rm -rf "${pkgdir}/build" "${pkgdir}"/build-tmp-napi-v*
  (cd "$dir" && find deps addon -type f ! -name '.*' -print0 | sort -z | xargs -0 sha256sum >SHA256SUMS)
  say "addon built in $(($(date +%s) - t0)) s"
else
  (cd "$dir" && sha256sum --quiet -c SHA256SUMS >&2) || die 3 "cached files differ from ${dir}/SHA256SUMS: delete ${dir} and run again"
  link_deps
fi
mkdir -p "$modpath"
cp "${dir}/addon/tfjs_binding.node" "${modpath}/tfjs_binding.node"

if loads; then
  echo "$key" >"$stamp"
else
  (cd "$repo" && node -e "require('${npm_pkg}')") >&2 || true
  die 5 "${npm_pkg} was built but does not load (error above)"
fi
