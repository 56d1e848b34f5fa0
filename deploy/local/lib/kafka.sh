# shellcheck shell=bash
# Apache Kafka: jars from Maven Central into the cache, one KRaft node (broker+controller) on
# loopback, throw-away data under $STACK_DIR/kafka, log in $STACK_DIR/kafka.log. Clients connect
# with TLS + SASL SCRAM-SHA-512 (certificates and passwords: lib/tls.sh); ACLs per principal
# (lib/kafka-access.ts) are created once the broker answers.

KAFKA_VERSION=4.1.1                                   # pinned; also in kafka/pom.xml
KAFKA_HOME="$CACHE_DIR/kafka-$KAFKA_VERSION"          # lib/*.jar
KAFKA_RUN_DIR="$STACK_DIR/kafka"                      # data + server.properties (throw-away)
KAFKA_PROPS="$KAFKA_RUN_DIR/server.properties"
KAFKA_LOG="$STACK_DIR/kafka.log"
KAFKA_PID_FILE="$STACK_DIR/kafka.pid"
KAFKA_SUMS="$LOCAL_DIR/kafka/jars.sha256"

# kafka_fetch: resolve the pinned broker and its runtime dependencies into $KAFKA_HOME/lib,
# verified against kafka/jars.sha256 (every jar, and no extra ones). Skipped when cached.
kafka_fetch() {
  if [[ -f "$KAFKA_HOME/lib/.verified" ]]; then return 0; fi
  command -v mvn >/dev/null 2>&1 || die "mvn not found" "apt-get install -y maven (it is in deploy/local/system-deps.txt)"
  mkdir -p "$CACHE_DIR"
  local tmp
  tmp="$(mktemp -d "$CACHE_DIR/.kafka-fetch.XXXXXX")"
  say "fetching Apache Kafka $KAFKA_VERSION jars from Maven Central into $KAFKA_HOME"
  # The Maven repository lives in the cache too, so deleting the cache resets everything.
  if ! timeout 600 mvn -q -B -Dstyle.color=never -f "$LOCAL_DIR/kafka/pom.xml" \
    -Dmaven.repo.local="$CACHE_DIR/m2" dependency:copy-dependencies \
    -DoutputDirectory="$tmp/lib" -DincludeScope=runtime >"$tmp/mvn.log" 2>&1; then
    cp -f "$tmp/mvn.log" "$CACHE_DIR/mvn-kafka.log" 2>/dev/null || true
    rm -rf "$tmp"
    die "Maven could not resolve org.apache.kafka:kafka_2.13:$KAFKA_VERSION (log: $CACHE_DIR/mvn-kafka.log)" \
      "check access to Maven Central (repo.maven.apache.org) and ~/.m2/settings.xml, then rerun"
  fi
  kafka_verify_jars "$tmp/lib" || {
    rm -rf "$tmp"
    die "the resolved Kafka jars do not match deploy/local/kafka/jars.sha256" \
      "if kafka/pom.xml changed on purpose, regenerate jars.sha256 (see deploy/local/README.md); else delete $CACHE_DIR and rerun"
  }
  touch "$tmp/lib/.verified"
  rm -rf "$KAFKA_HOME"
  mkdir -p "$KAFKA_HOME"
  mv "$tmp/lib" "$KAFKA_HOME/lib"
  rm -rf "$tmp"
}

# kafka_verify_jars DIR: the jar set equals the checksum list exactly.
kafka_verify_jars() {
  local dir="$1" expected actual
  [[ -f "$dir/kafka_2.13-$KAFKA_VERSION.jar" ]] || return 1
  expected="$(awk '{ print $2 }' "$KAFKA_SUMS" | sort)"
  actual="$(cd "$dir" && find . -maxdepth 1 -name '*.jar' -printf '%f\n' | sort)"
  [[ "$expected" == "$actual" ]] || return 1
  (cd "$dir" && sha256sum --quiet -c "$KAFKA_SUMS" >/dev/null 2>&1)
}

kafka_pid() { cat "$KAFKA_PID_FILE" 2>/dev/null || true; }

kafka_running() { pid_is_ours "$(kafka_pid)" "$KAFKA_PROPS"; }

# kafka_cluster_id: a random base64url UUID as `kafka-storage random-uuid` makes (22 chars, not
# starting with "-"), without paying for a JVM start.
kafka_cluster_id() {
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
    [[ "$id" != -* ]] && break
  done
  printf '%s\n' "$id"
}

# kafka_jvm: fill KAFKA_JVM with the java command line (class and arguments go after it).
# STREETWATCH_KAFKA_HEAP overrides the heap options (default "-Xms256m -Xmx1g").
kafka_jvm() {
  local -a heap
  read -r -a heap <<<"${STREETWATCH_KAFKA_HEAP:--Xms256m -Xmx1g}"
  KAFKA_JVM=("$JAVA_BIN" "${heap[@]}" -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20
    -Djava.awt.headless=true
    -Dlog4j2.configurationFile="$LOCAL_DIR/kafka/log4j2.xml"
    -Dstreetwatch.kafka.log="$KAFKA_LOG" -Dkafka.logs.dir="$STACK_DIR"
    -cp "$KAFKA_HOME/lib/*")
}

kafka_write_props() {
  local port="$1" cport="$2"
  (umask 077 && sed -e "s|@PORT@|$port|g" -e "s|@CPORT@|$cport|g" -e "s|@LOG_DIRS@|$KAFKA_RUN_DIR/data|g" \
    -e "s|@TLS_DIR@|$TLS_DIR|g" -e "s|@ADMIN_USER@|$KAFKA_ADMIN_USER|g" \
    -e "s|@ADMIN_PASSWORD@|$(kafka_password "$KAFKA_ADMIN_USER")|g" \
    "$LOCAL_DIR/kafka/server.properties.template" >"$KAFKA_PROPS")
}

# kafka_scram_args: fill SCRAM_ARGS with `--add-scram SCRAM-SHA-512=[name=U,password=P]` per user.
kafka_scram_args() {
  local u
  SCRAM_ARGS=()
  while IFS= read -r u; do
    [[ -n "$u" ]] || continue
    SCRAM_ARGS+=(--add-scram "SCRAM-SHA-512=[name=$u,password=$(kafka_password "$u")]")
  done < <(kafka_users)
  ((${#SCRAM_ARGS[@]} > 0)) || die "no Kafka users listed" "check deploy/local/lib/kafka-access.ts users"
}

# kafka_client_env: the admin's connection settings for the node helpers (probe, ACLs).
kafka_client_env() {
  printf '%s\n' "STREETWATCH_KAFKA_SSL_CA_FILE=$TLS_DIR/ca.crt" \
    "STREETWATCH_KAFKA_SASL_USERNAME=$KAFKA_ADMIN_USER" \
    "STREETWATCH_KAFKA_SASL_PASSWORD_FILE=$KAFKA_SECRETS_DIR/$KAFKA_ADMIN_USER.password"
}

# kafka_apply_acls_start PORT: every principal's ACLs (schemas/src/access.ts), as the admin, in
# the background (it overlaps PostgreSQL's start); kafka_apply_acls_wait collects it. Idempotent.
kafka_apply_acls_start() {
  # shellcheck disable=SC2046 # one KEY=value word per line
  env $(kafka_client_env) STREETWATCH_KAFKA_BROKERS="127.0.0.1:$1" \
    timeout 60 "$REPO_DIR/node_modules/.bin/tsx" "$LOCAL_DIR/lib/kafka-access.ts" apply \
    >"$STACK_DIR/kafka-acls.out" 2>&1 9>&- &
  KAFKA_ACLS_PID=$!
}

kafka_apply_acls_wait() {
  wait "$KAFKA_ACLS_PID" ||
    die "creating the Kafka ACLs failed: $(tail -n 3 "$STACK_DIR/kafka-acls.out" | tr '\n' ' ')" "read $KAFKA_LOG; then rerun stack.sh up"
}

# kafka_start PORT CPORT: fresh data dir, format, launch in its own session (survives the caller).
kafka_start() {
  local port="$1" cport="$2" pid
  rm -rf "$KAFKA_RUN_DIR"
  mkdir -p "$KAFKA_RUN_DIR/data"
  : >"$KAFKA_LOG"
  tls_ensure
  kafka_write_props "$port" "$cport"
  kafka_scram_args
  kafka_jvm
  # The SCRAM users go into the metadata log at format time: no extra JVM run afterwards.
  timeout 120 "${KAFKA_JVM[@]}" kafka.tools.StorageTool format --standalone -t "$(kafka_cluster_id)" \
    -c "$KAFKA_PROPS" "${SCRAM_ARGS[@]}" >>"$KAFKA_LOG" 2>&1 ||
    die "formatting the Kafka storage failed (log: $KAFKA_LOG)" "read the log; delete $STACK_DIR and rerun"
  # setsid: its own session, so the broker outlives the shell/npm/test runner that started it.
  # 9>&-: the daemon must not inherit stack.sh's lock fd (it would hold the lock forever).
  setsid "${KAFKA_JVM[@]}" kafka.Kafka "$KAFKA_PROPS" >>"$KAFKA_LOG" 2>&1 </dev/null 9>&- &
  pid=$!
  printf '%s\n' "$pid" >"$KAFKA_PID_FILE"
  state_set KAFKA_PORT "$port"
  state_set KAFKA_CONTROLLER_PORT "$cport"
}

# kafka_probe PORT: the broker answers a metadata request (kafkajs admin, from the repo's
# node_modules). Without node_modules, fall back to the broker's own "started" log line + an
# open port.
kafka_probe() {
  local port="$1"
  if command -v node >/dev/null 2>&1 && [[ -d "$REPO_DIR/node_modules/kafkajs" ]]; then
    # shellcheck disable=SC2046 # one KEY=value word per line
    env $(kafka_client_env) timeout 10 node "$LOCAL_DIR/lib/probe.mjs" "127.0.0.1:$port" >/dev/null 2>&1
  else
    grep -q 'Kafka Server started' "$KAFKA_LOG" 2>/dev/null && port_busy "$port"
  fi
}

kafka_wait_ready() {
  local port="$1" deadline=$((SECONDS + READY_TIMEOUT))
  until kafka_probe "$port"; do
    kafka_running ||
      die "the Kafka broker exited during start-up (log: $KAFKA_LOG)" "read the end of the log; then rerun stack.sh up"
    ((SECONDS < deadline)) ||
      die "the Kafka broker did not answer metadata on 127.0.0.1:$port within ${READY_TIMEOUT}s (log: $KAFKA_LOG)" \
        "read the log, then rerun stack.sh up (or raise STREETWATCH_STACK_TIMEOUT)"
    sleep 0.5
  done
}

# kafka_stop: SIGTERM (controlled shutdown), bounded; SIGKILL after 30 s. Removes the data.
kafka_stop() {
  local pid
  pid="$(kafka_pid)"
  if pid_is_ours "$pid" "$KAFKA_PROPS"; then
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_gone "$pid" 30; then
      say "kafka did not stop within 30 s; killing pid $pid"
      kill -KILL "$pid" 2>/dev/null || true
      wait_gone "$pid" 10 || die "kafka pid $pid survived SIGKILL" "check it with ps; kill it by hand"
    fi
  fi
  rm -rf "$KAFKA_RUN_DIR" "$KAFKA_PID_FILE"
  state_unset KAFKA_PORT
  state_unset KAFKA_CONTROLLER_PORT
}
