# shellcheck shell=bash
# Real test footage: Debian's opencv-doc ships examples/data (vtest.avi, a pedestrian walkway
# clip, and stills such as licenseplate_motion.jpg). The .deb is downloaded and unpacked into
# the cache (never installed); only examples/data is kept.

VIDEO_DIR="$CACHE_DIR/opencv-doc/data"
VIDEO_FILES=(vtest.avi licenseplate_motion.jpg)

video_ready() {
  local f
  [[ -f "$VIDEO_DIR/.verified" ]] || return 1
  for f in "${VIDEO_FILES[@]}"; do [[ -s "$VIDEO_DIR/$f" ]] || return 1; done
}

video_fetch() {
  video_ready && return 0
  command -v apt-get >/dev/null 2>&1 ||
    die "apt-get not found: cannot fetch opencv-doc for test video" "on non-Debian machines unpack opencv-doc's examples/data into $VIDEO_DIR"
  mkdir -p "$CACHE_DIR"
  local tmp deb src f
  tmp="$(mktemp -d "$CACHE_DIR/.opencv-doc.XXXXXX")"
  chmod 755 "$tmp" # lets apt's sandbox user write the download
  say "fetching test video (Debian opencv-doc, ~95 MB) into $VIDEO_DIR"
  if ! (cd "$tmp" && timeout 600 apt-get download opencv-doc >>"$tmp/apt.log" 2>&1); then
    if ((EUID == 0)); then
      apt_update_once
      (cd "$tmp" && timeout 600 apt-get download opencv-doc >>"$tmp/apt.log" 2>&1) || {
        cp -f "$tmp/apt.log" "$CACHE_DIR/opencv-doc-apt.log" 2>/dev/null || true
        rm -rf "$tmp"
        die "apt-get download opencv-doc failed (log: $CACHE_DIR/opencv-doc-apt.log)" \
          "check the network and apt sources, then rerun"
      }
    else
      rm -rf "$tmp"
      die "apt-get download opencv-doc failed" "run as root once (apt-get update may be needed), then rerun"
    fi
  fi
  deb="$(find "$tmp" -maxdepth 1 -name 'opencv-doc_*.deb' | head -n 1)"
  [[ -n "$deb" ]] || { rm -rf "$tmp"; die "apt-get download opencv-doc produced no .deb" "rerun; if it persists, run apt-get update"; }
  timeout 300 dpkg -x "$deb" "$tmp/root" ||
    { rm -rf "$tmp"; die "unpacking $deb failed" "delete $CACHE_DIR/opencv-doc and rerun"; }
  src="$tmp/root/usr/share/doc/opencv-doc/examples/data"
  for f in "${VIDEO_FILES[@]}"; do
    # Debian may gzip large docs; unpack if so.
    if [[ ! -f "$src/$f" && -f "$src/$f.gz" ]]; then gunzip -f "$src/$f.gz"; fi
    [[ -s "$src/$f" ]] || { rm -rf "$tmp"; die "opencv-doc has no examples/data/$f" "check the opencv-doc version (expected 4.6.0+dfsg-12 on Debian 12)"; }
  done
  basename "$deb" >"$src/.verified"
  rm -rf "$CACHE_DIR/opencv-doc"
  mkdir -p "$CACHE_DIR/opencv-doc"
  mv "$src" "$VIDEO_DIR"
  rm -rf "$tmp"
}
