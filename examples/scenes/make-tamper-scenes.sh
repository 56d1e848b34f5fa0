#!/usr/bin/env bash
# Compose tamper test scenes from real footage (vtest.avi, the pedestrian walkway) with ffmpeg.
# Each is 30 s at 10 fps, 768x576, H.264; the first 12 s are the plain walkway, then:
#   tamper-cover.mp4  the lens covered (a grey sheet with sensor noise) from 12 s on
#   tamper-blur.mp4   defocused / sprayed (gaussian blur, sigma 14) from 12 s on
#   tamper-shift.mp4  turned away: from 12 s on the view is another part of the scene (a 3/4 crop
#                     of the lower right, scaled up: panned and zoomed)
#   night.mp4         negative: dusk from 12 s to 24 s (brightness -0.3, contrast x0.6, more
#                     sensor noise), then night to the end
#   bus.mp4           negative: a bus close to the camera (a 700x480 block, 76 % of the frame)
#                     passes in front of it from 14 s to 19 s, hiding most of the view for ~3 s
# Usage: make-tamper-scenes.sh [OUT_DIR]  (default: $STREETWATCH_SCENES_DIR, else ~/.cache/streetwatch/scenes)
# Prints OUT_DIR. Cached: rebuilt only when this script changes (its sha256 is stored beside).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:-${STREETWATCH_SCENES_DIR:-$HOME/.cache/streetwatch/scenes}}"
SCENES=(tamper-cover.mp4 tamper-blur.mp4 tamper-shift.mp4 night.mp4 bus.mp4)
HASH="$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)"

fresh() {
  [[ -f "$OUT/.tamper-hash" && "$(cat "$OUT/.tamper-hash")" == "$HASH" ]] || return 1
  local s
  for s in "${SCENES[@]}"; do [[ -s "$OUT/$s" ]] || return 1; done
}

if fresh; then echo "$OUT"; exit 0; fi
mkdir -p "$OUT"
exec 9>"$OUT/.make-tamper.lock"
flock 9
if fresh; then echo "$OUT"; exit 0; fi

DATA="$(bash "$HERE/fetch-video.sh" | tail -n1)"
VTEST="$DATA/vtest.avi"
X264=(-c:v libx264 -preset veryfast -crf 23 -g 10 -bf 0 -pix_fmt yuv420p -movflags +faststart -an)
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
make() { # name filter_complex
  ff -i "$VTEST" -filter_complex "$2" -map '[v]' -t 30 -r 10 "${X264[@]}" "$OUT/$1.tmp.mp4"
  mv "$OUT/$1.tmp.mp4" "$OUT/$1"
}

make tamper-cover.mp4 "[0:v]fps=10[bg];color=c=0x3a3a3a:s=768x576:r=10,format=yuv420p,noise=alls=4:allf=t[c];[bg][c]overlay=enable='gte(t,12)':shortest=1[v]"
make tamper-blur.mp4 "[0:v]fps=10,gblur=sigma=14:enable='gte(t,12)'[v]"
make tamper-shift.mp4 "[0:v]fps=10,split[a][b];[b]crop=576:432:192:144,scale=768:576[m];[a][m]overlay=enable='gte(t,12)'[v]"
make night.mp4 "[0:v]fps=10,eq=brightness='-0.3*clip((t-12)/12,0,1)':contrast='1-0.4*clip((t-12)/12,0,1)':eval=frame,noise=alls=8:allf=t:enable='gte(t,12)'[v]"
make bus.mp4 "[0:v]fps=10[bg];color=c=0x2a5aa0:s=700x480:r=10,format=yuv420p,drawbox=x=40:y=60:w=620:h=150:color=0xd0e0f0:t=fill[bus];[bg][bus]overlay=x='-700+(t-14)*294':y=50:enable='between(t,14,19)':shortest=1[v]"

echo "$HASH" >"$OUT/.tamper-hash"
echo "$OUT"
