#!/bin/sh
# Entry point of the compose `kafka` service (image apache/kafka): fills the admin password and the
# external host into the broker config, formats the storage on the first start with one SCRAM
# user per secrets/kafka/<user>.password file, writes the admin's client config for the
# healthcheck, then runs the broker. A user added later (a new department):
#   docker-compose exec kafka /opt/kafka/bin/kafka-configs.sh --bootstrap-server localhost:9092 \
#     --command-config /tmp/admin-client.properties --alter --entity-type users --entity-name dept-<id> \
#     --add-config "SCRAM-SHA-512=[password=$(cat secrets/kafka/dept-<id>.password)]"
set -eu
S=/run/secrets/kafka
[ -r "$S/streetwatch-admin.password" ] || { echo "kafka: no $S/streetwatch-admin.password — run deploy/compose/make-secrets.sh" >&2; exit 1; }
admin_pw=$(cat "$S/streetwatch-admin.password")
umask 077
sed -e "s|@ADMIN_PASSWORD@|$admin_pw|" -e "s|@EXTERNAL_HOST@|${STREETWATCH_KAFKA_EXTERNAL_HOST:-localhost}|" \
  /etc/streetwatch/kafka/server.properties >/tmp/server.properties
if [ ! -f /var/lib/kafka/data/meta.properties ]; then
  set --
  for f in "$S"/*.password; do
    set -- "$@" --add-scram "SCRAM-SHA-512=[name=$(basename "$f" .password),password=$(cat "$f")]"
  done
  /opt/kafka/bin/kafka-storage.sh format --standalone -t "$(/opt/kafka/bin/kafka-storage.sh random-uuid)" \
    -c /tmp/server.properties "$@"
fi
cat >/tmp/admin-client.properties <<PROPS
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="streetwatch-admin" password="$admin_pw";
ssl.truststore.type=PEM
ssl.truststore.location=$S/ca.crt
PROPS
exec /opt/kafka/bin/kafka-server-start.sh /tmp/server.properties
