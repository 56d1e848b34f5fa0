#!/usr/bin/env bash
# Convert the detector's TF.js graph model into a TensorFlow SavedModel, which the tensorflow
# backend runs as one graph (detector.execution auto/graph): about half the CPU per frame of
# op-by-op execution, the same detections (edge-gateway/test/detector/backends.test.ts).
#
#   scripts/convert-savedmodel.sh [model]     (default centernet; scripts/test.sh runs it)
#
# One-time: a Python venv holding PyPI's tensorflow-cpu (the wheel pinned in native.lock.json,
# sha256-checked; shared with build-tfjs-node.sh) runs scripts/tfjs-to-savedmodel.py. The result
# goes beside the model, <modelDir>/<model>.savedmodel/, with SOURCE (sha256 of the model files and
# of the converter) and SHA256SUMS: converted again when the model or converter changes, verified
# on every run. Cache: ${STREETWATCH_CACHE:-$HOME/.cache/streetwatch}/tfjs-node/converter-venv-*
# (~1 GB, deletable once converted). Idempotent; flock. Prints the SavedModel's folder last.
# Exit codes: 0 ok, 2 usage, 3 checksum mismatch, 4 download failed, 5 conversion failed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
lock="${STREETWATCH_NATIVE_LOCK:-${here}/../native.lock.json}"
cache="${STREETWATCH_CACHE:-$HOME/.cache/streetwatch}"
PYTHON="${STREETWATCH_PYTHON:-/usr/bin/python3}"
model="${1:-centernet}"

say() { echo "convert-savedmodel: $*" >&2; }
die() {
  local code=$1
  shift
  say "$*"
  exit "$code"
}

case "$model" in
  centernet) io=(tower_0/images tower_0/detections) ;;
  *) die 2 "no input/output nodes known for model '${model}' (centernet only)" ;;
esac

modeldir="$(bash "${here}/fetch-model.sh" "$model" | tail -n1)"
src_json="${modeldir}/${model}.json"
out="${modeldir}/${model}.savedmodel"
exec 9>"${modeldir}/.savedmodel.lock"
flock -w 900 9 || die 5 "another conversion holds ${modeldir}/.savedmodel.lock"

source_sum="$(cat "$src_json" "${modeldir}/${model}.bin" "${here}/tfjs-to-savedmodel.py" | sha256sum | cut -d' ' -f1)"
if [ -f "${out}/SOURCE" ] && [ "$(cat "${out}/SOURCE")" = "$source_sum" ]; then
  (cd "$out" && sha256sum --quiet -c SHA256SUMS >&2) || die 3 "${out} differs from its SHA256SUMS: delete it and run again"
  echo "$out"
  exit 0
fi

{
  read -r py_project
  read -r py_version
  read -r wheel
  read -r wheel_sha
  read -r py_platform
  read -r py_python
} < <(node -e '
  const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).cpu.pypi;
  console.log([p.project, p.version, p.wheel, p.sha256, p.platform, p.pythonVersion].join("\n"));' "$lock")

venv="${cache}/tfjs-node/converter-venv-${py_project}-${py_version}"
if [ ! -x "${venv}/bin/python" ] || ! "${venv}/bin/python" -c 'import tensorflow' >/dev/null 2>&1; then
  have="$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
  [ "$have" = "$py_python" ] || die 5 "${PYTHON} is Python ${have}; the pinned wheel ${wheel} needs ${py_python}"
  whl="${cache}/tfjs-node/wheels/${wheel}"
  mkdir -p "${cache}/tfjs-node/wheels"
  if [ ! -f "$whl" ] || [ "$(sha256sum "$whl" | cut -d' ' -f1)" != "$wheel_sha" ]; then
    say "downloading ${py_project}==${py_version} from PyPI"
    req="$(mktemp)"
    printf '%s==%s --hash=sha256:%s\n' "$py_project" "$py_version" "$wheel_sha" >"$req"
    "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: --require-hashes --platform "$py_platform" \
      --python-version "$py_python" -r "$req" -d "${cache}/tfjs-node/wheels" >&2 || { rm -f "$req"; die 4 "pip download ${py_project} failed"; }
    rm -f "$req"
  fi
  say "creating the converter venv ${venv} (tensorflow-cpu + its PyPI dependencies; one time, ~2 min)"
  rm -rf "$venv"
  "$PYTHON" -m venv "$venv" || die 5 "python3 -m venv failed (Debian: python3-venv)"
  "${venv}/bin/pip" install --quiet "$whl" >&2 || die 4 "pip install ${wheel} (and its dependencies from PyPI) failed"
fi

say "converting ${src_json} -> ${out}"
rm -rf "$out"
TF_CPP_MIN_LOG_LEVEL=3 "${venv}/bin/python" "${here}/tfjs-to-savedmodel.py" "$src_json" "$out" "${io[@]}" >/dev/null 2>"${modeldir}/.savedmodel.log" || {
  tail -20 "${modeldir}/.savedmodel.log" >&2
  die 5 "conversion failed (log above)"
}
sums="$(cd "$out" && find . -type f -print0 | sort -z | xargs -0 sha256sum)"
printf '%s\n' "$sums" >"${out}/SHA256SUMS"
echo "$source_sum" >"${out}/SOURCE"
say "SavedModel ready"
echo "$out"
