#!/usr/bin/env bash
# Compose test scenes from real footage (vtest.avi, licenseplate_motion.jpg) with ffmpeg:
#   vtest-20s.mp4  first 20 s of vtest.avi as H.264 (768x576, 10 fps, keyframe every 1 s)
#   parking.mp4    55 s of the vtest walkway at 10 fps, 768x576, with the car still (scaled to
#                  288 px wide, 3/8 of the frame) standing on the road from t=10 s to t=40 s,
#                  then gone: one stationary vehicle for 30 s
# Usage: make-scenes.sh [OUT_DIR]  (default: $STREETWATCH_SCENES_DIR, else ~/.cache/streetwatch/scenes)
# Prints OUT_DIR. Cached: rebuilt only when this script changes (its sha256 is stored beside).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:-${STREETWATCH_SCENES_DIR:-$HOME/.cache/streetwatch/scenes}}"
SCENES=(vtest-20s.mp4 parking.mp4)
HASH="$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)"

fresh() {
  [[ -f "$OUT/.hash" && "$(cat "$OUT/.hash")" == "$HASH" ]] || return 1
  local s
  for s in "${SCENES[@]}"; do [[ -s "$OUT/$s" ]] || return 1; done
}

if fresh; then echo "$OUT"; exit 0; fi
mkdir -p "$OUT"
exec 9>"$OUT/.make.lock"
flock 9
if fresh; then echo "$OUT"; exit 0; fi

DATA="$(bash "$HERE/fetch-video.sh" | tail -n1)"
VTEST="$DATA/vtest.avi"
CAR="$DATA/licenseplate_motion.jpg"
X264=(-c:v libx264 -preset veryfast -crf 23 -g 10 -bf 0 -pix_fmt yuv420p -movflags +faststart -an)
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }

# (a) plain footage
ff -i "$VTEST" -t 20 -r 10 "${X264[@]}" "$OUT/vtest-20s.mp4.tmp.mp4"
mv "$OUT/vtest-20s.mp4.tmp.mp4" "$OUT/vtest-20s.mp4"

# (b) parking: the car (the still, trimmed of its blurred top and sides) stands on the road on the
# right of the walkway, bottom edge at y=540; it appears at 10 s and is gone after 40 s.
ff -i "$VTEST" -loop 1 -framerate 10 -i "$CAR" \
  -filter_complex "[1:v]crop=580:440:10:22,scale=288:-2,format=yuv420p[car];[0:v]fps=10[bg];[bg][car]overlay=x=440:y=540-h:enable='between(t,10,40)':shortest=1[v]" \
  -map '[v]' -t 55 -r 10 "${X264[@]}" "$OUT/parking.mp4.tmp.mp4"
mv "$OUT/parking.mp4.tmp.mp4" "$OUT/parking.mp4"

echo "$HASH" >"$OUT/.hash"
echo "$OUT"
