# shellcheck shell=bash
# System packages: install every package listed in deploy/local/system-deps.txt that is missing.
# apt-get update runs at most once per call, only when something must be installed.

DEPS_FILE="$LOCAL_DIR/system-deps.txt"
APT_LOG="$STACK_DIR/apt.log"
APT_UPDATED=0

# deps_list: package names from system-deps.txt (comments and blank lines dropped).
deps_list() {
  sed -e 's/#.*//' "$DEPS_FILE" | awk 'NF { print $1 }'
}

# deps_missing: the listed packages dpkg does not report as installed.
deps_missing() {
  local -a pkgs
  mapfile -t pkgs < <(deps_list)
  ((${#pkgs[@]} > 0)) || return 0
  local installed
  installed="$(dpkg-query -W -f='${Package} ${Status}\n' "${pkgs[@]}" 2>/dev/null |
    awk '$NF == "installed" && $(NF-1) == "ok" { print $1 }')" || true
  local p
  for p in "${pkgs[@]}"; do
    grep -qxF -- "$p" <<<"$installed" || printf '%s\n' "$p"
  done
}

apt_update_once() {
  ((APT_UPDATED)) && return 0
  say "apt-get update"
  timeout 300 apt-get update >>"$APT_LOG" 2>&1 ||
    die "apt-get update failed (log: $APT_LOG)" "check the network and /etc/apt/sources.list, then rerun"
  APT_UPDATED=1
}

deps_ensure() {
  command -v dpkg-query >/dev/null 2>&1 ||
    die "dpkg-query not found: this is not a Debian machine" \
      "install the packages in $DEPS_FILE by hand, then rerun"
  local -a missing
  mapfile -t missing < <(deps_missing)
  ((${#missing[@]} == 0)) && return 0
  if ((EUID != 0)); then
    die "missing system packages: ${missing[*]}" "run as root, or: sudo apt-get install -y ${missing[*]}"
  fi
  say "installing system packages: ${missing[*]}"
  apt_update_once
  DEBIAN_FRONTEND=noninteractive timeout 1800 apt-get install -y "${missing[@]}" >>"$APT_LOG" 2>&1 ||
    die "apt-get install failed for: ${missing[*]} (log: $APT_LOG)" \
      "check the network/apt sources and the package names in $DEPS_FILE, then rerun"
}

# java_check: java exists and is 17 or newer. STREETWATCH_JAVA names a java binary to use.
JAVA_BIN="${STREETWATCH_JAVA:-java}"
java_check() {
  command -v "$JAVA_BIN" >/dev/null 2>&1 ||
    die "java not found ($JAVA_BIN)" "install Java 17: apt-get install -y openjdk-17-jre-headless"
  local version major
  version="$(timeout 30 "$JAVA_BIN" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n 1)"
  major="${version%%.*}"
  [[ "$major" == 1 ]] && major="$(cut -d. -f2 <<<"$version")"
  [[ "$major" =~ ^[0-9]+$ ]] ||
    die "cannot read the java version from '$JAVA_BIN -version'" "install Java 17: apt-get install -y openjdk-17-jre-headless"
  ((major >= 17)) ||
    die "java $version is too old for Kafka 4.x (needs 17+)" "apt-get install -y openjdk-17-jre-headless and put it first on PATH (or set STREETWATCH_JAVA)"
}
