#!/usr/bin/env bash
# Runs once before the broker of `docker compose --profile secure` (docker-compose.yml), in the
# broker's own image, as root: makes a private CA and the broker's TLS certificate for the name
# kafka-secure (keytool, from the image's JRE), and formats the broker's storage with the service's
# SCRAM-SHA-512 credentials, read from the compose secret `kafka-password`. Later runs change nothing.
#   /etc/kafka/secrets  the broker's keystore, its password and JAAS file (the broker only)
#   /ca                 ca.pem, the certificate the service trusts (KAFKA_TLS_CA_FILE)
set -euo pipefail

secrets=/etc/kafka/secrets
password_file=/run/secrets/kafka-password
[ -s "$password_file" ] || { echo "Expected the compose secret kafka-password (deploy/kafka-secure/kafka-password) to hold a password" >&2; exit 2; }

if [ ! -f "$secrets/broker.p12" ]; then
  store="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  cd "$(mktemp -d)"
  keytool -genkeypair -alias ca -dname CN=certificates-kafka-ca -ext bc:c -keyalg EC -groupname secp256r1 -validity 825 \
    -keystore ca.p12 -storetype PKCS12 -storepass "$store"
  keytool -exportcert -alias ca -keystore ca.p12 -storepass "$store" -rfc > /ca/ca.pem
  keytool -genkeypair -alias broker -dname CN=kafka-secure -keyalg EC -groupname secp256r1 -validity 825 \
    -keystore broker.p12 -storetype PKCS12 -storepass "$store"
  keytool -certreq -alias broker -keystore broker.p12 -storepass "$store" |
    keytool -gencert -alias ca -keystore ca.p12 -storepass "$store" -ext SAN=dns:kafka-secure -validity 825 -rfc > broker.pem
  keytool -importcert -noprompt -alias ca -file /ca/ca.pem -keystore broker.p12 -storepass "$store"
  keytool -importcert -alias broker -file broker.pem -keystore broker.p12 -storepass "$store"
  # The CA's key stays in this throw-away directory: nothing can sign another broker afterwards.
  mv broker.p12 "$secrets/broker.p12"
  printf '%s' "$store" > "$secrets/keystore-password"
  printf 'KafkaServer {\n  org.apache.kafka.common.security.scram.ScramLoginModule required;\n};\n' > "$secrets/kafka_server_jaas.conf"
  chmod 0600 "$secrets/broker.p12" "$secrets/keystore-password"
  chmod 0644 /ca/ca.pem
fi

# KRaft keeps SCRAM credentials in its metadata: given at format time, before the first start. The
# image's own start formats only a storage not formatted yet, so it keeps these.
cat > /tmp/format.properties <<PROPS
process.roles=broker,controller
node.id=${KAFKA_NODE_ID}
controller.quorum.voters=${KAFKA_CONTROLLER_QUORUM_VOTERS}
controller.listener.names=CONTROLLER
listeners=${KAFKA_LISTENERS}
listener.security.protocol.map=${KAFKA_LISTENER_SECURITY_PROTOCOL_MAP}
log.dirs=${KAFKA_LOG_DIRS}
PROPS
/opt/kafka/bin/kafka-storage.sh format --ignore-formatted --cluster-id "$CLUSTER_ID" --config /tmp/format.properties \
  --add-scram "SCRAM-SHA-512=[name=${KAFKA_SCRAM_USER},password=$(cat "$password_file")]"
chown -R appuser:appuser "$secrets" "$KAFKA_LOG_DIRS"
