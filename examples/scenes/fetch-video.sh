#!/usr/bin/env bash
# Real footage for tests and scenes, from Debian's opencv-doc package (extracted, not installed):
#   vtest.avi               pedestrian walkway, 768x576, 10 fps, 79.5 s (MS-MPEG4v3)
#   licenseplate_motion.jpg a car seen from behind (600x482)
# Usage: fetch-video.sh [DIR]   (default: $STREETWATCH_VIDEO_DIR, else ~/.cache/streetwatch/video)
# Prints the data directory holding the files. Idempotent; safe to run concurrently (flock).
set -euo pipefail

DIR="${1:-${STREETWATCH_VIDEO_DIR:-$HOME/.cache/streetwatch/video}}"
REL=usr/share/doc/opencv-doc/examples/data
DATA="$DIR/$REL"
FILES=(vtest.avi licenseplate_motion.jpg)

have_all() {
  local f
  for f in "${FILES[@]}"; do [[ -s "$DATA/$f" ]] || return 1; done
}

# A directory that already holds the files (the stack's STREETWATCH_VIDEO_DIR) is used as it is.
if [[ -s "$DIR/vtest.avi" && -s "$DIR/licenseplate_motion.jpg" ]]; then echo "$DIR"; exit 0; fi
if have_all; then echo "$DATA"; exit 0; fi

mkdir -p "$DIR"
exec 9>"$DIR/.fetch.lock"
flock 9
if have_all; then echo "$DATA"; exit 0; fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
deb="$(ls "$DIR"/opencv-doc_*.deb 2>/dev/null | head -n1 || true)"
if [[ -z "$deb" ]]; then
  # apt-get download runs as the _apt user when it can: give it a directory it may write to
  chmod 777 "$tmp"
  if ! (cd "$tmp" && apt-get download opencv-doc >&2); then
    apt-get update -qq >&2
    (cd "$tmp" && apt-get download opencv-doc >&2)
  fi
  deb="$(ls "$tmp"/opencv-doc_*.deb | head -n1)"
fi
members=()
for f in "${FILES[@]}"; do members+=("./$REL/$f"); done
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$DIR" "${members[@]}"
have_all || { echo "fetch-video: $DATA is incomplete after extraction" >&2; exit 1; }
echo "$DATA"
