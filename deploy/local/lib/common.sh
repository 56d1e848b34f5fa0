# shellcheck shell=bash disable=SC2034 # globals here are used by the other lib files
# Shared helpers for deploy/local/stack.sh: paths, messages, pids, ports.
# Sourced, never run. Every failure goes through `die`: ONE line on stderr, non-zero exit.

# --- paths -------------------------------------------------------------------------------
LOCAL_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"      # deploy/local
REPO_DIR="$(cd "$LOCAL_DIR/../.." && pwd)"
STACK_DIR="${STREETWATCH_STACK_DIR:-$REPO_DIR/.stack}"            # runtime state (gitignored)
CACHE_DIR="${STREETWATCH_CACHE:-$HOME/.cache/streetwatch}"         # downloads, outside the repo
STATE_FILE="$STACK_DIR/state"                                      # ports and dirs of what runs
ENV_FILE="$STACK_DIR/env"                                          # the one place for settings
READY_TIMEOUT="${STREETWATCH_STACK_TIMEOUT:-60}"                   # seconds per readiness wait

# --- messages ----------------------------------------------------------------------------
# die "<what failed>" "<what to do>"
die() {
  printf 'stack: %s — %s\n' "$1" "$2" >&2
  exit "${3:-1}"
}

say() { printf 'stack: %s\n' "$*"; }

# --- state file (KEY=value lines, written by up, read by status/down) ---------------------
state_get() {
  local key="$1"
  [[ -f "$STATE_FILE" ]] || return 0
  sed -n "s/^${key}=//p" "$STATE_FILE" | tail -n 1
}

state_set() {
  local key="$1" value="$2" tmp
  tmp="$(mktemp "$STACK_DIR/.state.XXXXXX")"
  if [[ -f "$STATE_FILE" ]]; then grep -v "^${key}=" "$STATE_FILE" >"$tmp" || true; fi
  printf '%s=%s\n' "$key" "$value" >>"$tmp"
  mv -f "$tmp" "$STATE_FILE"
}

state_unset() {
  local key="$1" tmp
  [[ -f "$STATE_FILE" ]] || return 0
  tmp="$(mktemp "$STACK_DIR/.state.XXXXXX")"
  grep -v "^${key}=" "$STATE_FILE" >"$tmp" || true
  mv -f "$tmp" "$STATE_FILE"
}

# --- processes ---------------------------------------------------------------------------
# pid_is_ours PID NEEDLE: the process lives and its command line mentions NEEDLE (a path
# inside our state dir), so a recycled pid of an unrelated process is never taken for ours.
pid_is_ours() {
  local pid="$1" needle="$2"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$needle"
}

pid_alive() { [[ "$1" =~ ^[0-9]+$ ]] && kill -0 "$1" 2>/dev/null; }

# wait_gone PID SECONDS: true when the process has exited within SECONDS.
wait_gone() {
  local pid="$1" deadline=$((SECONDS + $2))
  while pid_alive "$pid"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# --- ports -------------------------------------------------------------------------------
port_busy() {
  local port="$1"
  if command -v ss >/dev/null 2>&1; then
    [[ -n "$(ss -Htln "sport = :$port" 2>/dev/null)" ]]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
  fi
}

# port_holder PORT: "java pid 1234" or "an unknown process" for messages.
port_holder() {
  local who
  who="$(ss -Htlnp "sport = :$1" 2>/dev/null | grep -o 'users:(("[^"]*",pid=[0-9]*' | head -n 1 |
    sed -E 's/users:\(\("([^"]*)",pid=([0-9]*)/\1 pid \2/')" || true
  printf '%s' "${who:-an unknown process}"
}

# choose_port PREFERRED PIN_VAR [TAKEN...]: print a free loopback port. A port pinned through
# the environment variable PIN_VAR must be free or we fail; otherwise PREFERRED, else the next
# free one above it (skipping TAKEN ports chosen earlier in this run).
choose_port() {
  local preferred="$1" pin_var="$2"
  shift 2
  local pinned="${!pin_var:-}" port
  if [[ -n "$pinned" ]]; then
    if ! [[ "$pinned" =~ ^[0-9]+$ ]] || ((pinned < 1 || pinned > 65535)); then
      die "$pin_var=$pinned is not a port number" "set it to a free port (1-65535) or unset it"
    fi
    if port_busy "$pinned"; then
      die "port $pinned (from $pin_var) is in use by $(port_holder "$pinned")" \
        "stop that process, choose another port, or unset $pin_var to let stack.sh pick one"
    fi
    printf '%s\n' "$pinned"
    return 0
  fi
  for ((port = preferred; port < preferred + 200; port++)); do
    [[ " $* " == *" $port "* ]] && continue
    port_busy "$port" && continue
    printf '%s\n' "$port"
    return 0
  done
  die "no free loopback port in $preferred-$((preferred + 199))" \
    "free a port there or pin one with $pin_var"
}
