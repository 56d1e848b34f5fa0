# shellcheck shell=bash disable=SC2034 # KAFKA_ADMIN_USER, TLS_DIR: used by kafka.sh / stack.sh
# TLS material and SCRAM passwords of the local broker, made once per stack dir and kept across
# down/up (clients keep trusting the same CA; passwords stay valid in files tests read):
#   $STACK_DIR/tls/ca.crt            the CA clients trust (STREETWATCH_KAFKA_SSL_CA_FILE)
#   $STACK_DIR/tls/broker.pem        the broker's PKCS#8 key + certificate chain (CN=streetwatch-broker,
#                                    SAN IP:127.0.0.1, DNS:localhost; server and client auth)
#   $STACK_DIR/secrets/kafka/<user>.password   one random password per SCRAM user (mode 600)
# EC P-256 keys: fast to make and cheap in handshakes.

TLS_DIR="$STACK_DIR/tls"
KAFKA_SECRETS_DIR="$STACK_DIR/secrets/kafka"
KAFKA_ADMIN_USER=streetwatch-admin                     # = KAFKA_ADMIN_PRINCIPAL in schemas/src/access.ts
TLS_SAN="${TLS_SAN:-IP:127.0.0.1,DNS:localhost}"      # names the broker certificate holds
# (deploy/compose/make-secrets.sh sources this file with its own TLS_DIR, secrets dir and names)

# tls_ensure: make the CA and the broker certificate unless both are there and valid for a day.
tls_ensure() {
  if [[ -f "$TLS_DIR/ca.crt" && -f "$TLS_DIR/broker.pem" ]] &&
    openssl x509 -checkend 86400 -noout -in "$TLS_DIR/ca.crt" >/dev/null 2>&1 &&
    openssl x509 -checkend 86400 -noout -in "$TLS_DIR/broker.crt" >/dev/null 2>&1; then
    return 0
  fi
  command -v openssl >/dev/null 2>&1 || die "openssl not found" "apt-get install -y openssl"
  local tmp
  mkdir -p "$STACK_DIR"
  tmp="$(mktemp -d "$STACK_DIR/.tls.XXXXXX")"
  chmod 700 "$tmp"
  say "making a local CA and the broker's certificate in $TLS_DIR"
  if ! (
    set -e
    cd "$tmp"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt \
      -days 3650 -subj "/CN=streetwatch local CA" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout broker.key -out broker.csr \
      -subj "/CN=streetwatch-broker"
    printf '%s\n' 'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature,keyEncipherment' \
      'extendedKeyUsage=serverAuth,clientAuth' "subjectAltName=$TLS_SAN" >broker.ext
    openssl x509 -req -in broker.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 825 \
      -extfile broker.ext -out broker.crt
    openssl pkcs8 -topk8 -nocrypt -in broker.key -out broker.pk8
    cat broker.pk8 broker.crt ca.crt >broker.pem
    rm -f broker.csr broker.ext broker.key ca.srl
    chmod 600 ./*
    chmod 644 ca.crt broker.crt
  ) >"$tmp/openssl.log" 2>&1; then
    cp -f "$tmp/openssl.log" "$STACK_DIR/openssl.log" 2>/dev/null || true
    rm -rf "$tmp"
    die "making the local CA / broker certificate failed (log: $STACK_DIR/openssl.log)" "read the log; check openssl works"
  fi
  rm -f "$tmp/openssl.log"
  rm -rf "$TLS_DIR"
  mv "$tmp" "$TLS_DIR"
}

# kafka_users: the SCRAM users (admin first), from the one table (schemas/src/access.ts). The
# list is cached beside the passwords, keyed by the sha256 of the files it comes from, so an `up`
# with nothing changed pays no tsx start (~0.8 s CPU).
kafka_users() {
  local tsx="$REPO_DIR/node_modules/.bin/tsx" out key cache="$KAFKA_SECRETS_DIR/users.list"
  key="$(cat "$REPO_DIR/schemas/src/access.ts" "$REPO_DIR/schemas/src/topics.ts" \
    "$REPO_DIR/k8s/base/config/router.yaml" "$LOCAL_DIR/lib/kafka-access.ts" 2>/dev/null | sha256sum | cut -c1-64)"
  if [[ -f "$cache" && "$(head -n 1 "$cache")" == "# $key" ]]; then
    tail -n +2 "$cache"
    return 0
  fi
  [[ -x "$tsx" ]] || die "tsx is not installed in $REPO_DIR/node_modules" "run npm ci (or npm install) first"
  out="$("$tsx" "$LOCAL_DIR/lib/kafka-access.ts" users 2>&1)" ||
    die "listing the Kafka users failed: $out" "fix the error above (schemas/src/access.ts, k8s/base/config/router.yaml)"
  mkdir -p "$KAFKA_SECRETS_DIR"
  chmod 700 "$KAFKA_SECRETS_DIR"
  printf '# %s\n%s\n' "$key" "$out" >"$cache"
  printf '%s\n' "$out"
}

# kafka_password USER: the user's password, made (random, 32 hex chars) the first time.
kafka_password() {
  local f="$KAFKA_SECRETS_DIR/$1.password"
  if [[ ! -s "$f" ]]; then
    mkdir -p "$KAFKA_SECRETS_DIR"
    chmod 700 "$KAFKA_SECRETS_DIR"
    (umask 077 && od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$f.tmp" && mv -f "$f.tmp" "$f")
  fi
  cat "$f"
}
