#!/usr/bin/env bash
# The quality evaluator's scenes (bench/quality, issue 11): examples/scenes/quality/*.json composed
# with ffmpeg from real footage and stills (Debian opencv-doc) by quality/compose.mjs.
# Usage: make-quality-scenes.sh [scene-id ...]
# Output: $STREETWATCH_SCENES_DIR/quality (default ~/.cache/streetwatch/scenes/quality); prints it.
# Cached per scene (rebuilt when its JSON or compose.mjs changes); safe to run concurrently (flock).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${STREETWATCH_SCENES_DIR:-$HOME/.cache/streetwatch/scenes}/quality"
mkdir -p "$OUT"
exec 9>"$OUT/.make.lock"
flock 9
DATA="$(bash "$HERE/fetch-video.sh" | tail -n1)"
# the stills the scenes use beyond fetch-video.sh's two files come from the same package
need=(box.png fruits.jpg orange.jpg apple.jpg box_in_scene.png blox.jpg)
missing=0
for f in "${need[@]}"; do [[ -s "$DATA/$f" ]] || missing=1; done
if [[ $missing -eq 1 ]]; then
  deb="$(ls "$DATA"/../../../../../../opencv-doc_*.deb 2>/dev/null | head -n1 || true)"
  tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT; chmod 777 "$tmp"
  if [[ -z "$deb" ]]; then (cd "$tmp" && apt-get download opencv-doc >&2); deb="$(ls "$tmp"/opencv-doc_*.deb | head -n1)"; fi
  rel=usr/share/doc/opencv-doc/examples/data
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" "${need[@]/#/./$rel/}"
  for f in "${need[@]}"; do cp "$tmp/$rel/$f" "$DATA/$f"; done
fi
node "$HERE/quality/compose.mjs" "$DATA" "$OUT" "$@"
