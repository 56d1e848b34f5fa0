#!/usr/bin/env bash
# Kafka secrets for docker-compose, made once into deploy/compose/secrets/kafka/ (never commit it):
# a CA (ca.crt: what services and edge boxes trust), the broker's key + certificate (broker.pem,
# names kafka, localhost and $STREETWATCH_KAFKA_EXTERNAL_HOST) and one random SCRAM password per
# principal of the one table (schemas/src/access.ts, departments of k8s/base/config/router.yaml).
# Same code as the local stack (deploy/local/lib/tls.sh). Needs openssl and `npm ci` (tsx).
#   STREETWATCH_KAFKA_EXTERNAL_HOST=kafka.example.org bash deploy/compose/make-secrets.sh
# An edge box gets ca.crt and edge-gateway.password (deploy/compose/edge/docker-compose.yml).
# shellcheck source-path=SCRIPTDIR disable=SC2034 # TLS_SAN, KAFKA_SECRETS_DIR: read by tls.sh
set -euo pipefail
COMPOSE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../local/lib/common.sh
. "$COMPOSE_DIR/../local/lib/common.sh"
STACK_DIR="$COMPOSE_DIR/secrets"
host="${STREETWATCH_KAFKA_EXTERNAL_HOST:-localhost}"
if [[ "$host" =~ ^[0-9.]+$ ]]; then TLS_SAN="DNS:kafka,DNS:localhost,IP:$host"; else TLS_SAN="DNS:kafka,DNS:localhost,DNS:$host"; fi
# shellcheck source=../local/lib/tls.sh
. "$COMPOSE_DIR/../local/lib/tls.sh"
TLS_DIR="$COMPOSE_DIR/secrets/kafka"
KAFKA_SECRETS_DIR="$TLS_DIR"
mkdir -p "$STACK_DIR"
chmod 700 "$STACK_DIR"
if [[ ! -f "$TLS_DIR/ca.crt" ]]; then
  # tls_ensure replaces TLS_DIR as a whole: make it before any password lands there.
  tls_ensure
  chmod 700 "$TLS_DIR"
fi
while IFS= read -r u; do
  [[ -n "$u" ]] && kafka_password "$u" >/dev/null
done < <(kafka_users)
say "Kafka secrets in $TLS_DIR: ca.crt, broker.pem, $(find "$TLS_DIR" -name '*.password' | wc -l) passwords"
