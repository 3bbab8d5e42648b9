#!/usr/bin/env bash
# Runs a single-node Apache Kafka (KRaft, broker + controller) from jars fetched off Maven Central,
# on the installed Java: how tests, CI and `npm start` get a real broker where no Docker engine runs.
#
#   kafka.sh start | stop | status | console [kafka-console-consumer args...]
#
# Environment: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (KAFKA_PORT+1),
# KAFKA_DATA_DIR (.kafka/broker-$KAFKA_PORT), KAFKA_HEAP (512m), KAFKA_START_TIMEOUT (90 seconds).
# KAFKA_PROXIED_PORT and KAFKA_PROXY_PORT (tests): one more listener on KAFKA_PROXIED_PORT that
# advertises KAFKA_PROXY_PORT, where a TCP proxy forwards to it: clients bootstrapped through the
# proxy then keep every connection through it (they connect to the advertised address).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
port="${KAFKA_PORT:-9092}"
controller_port="${KAFKA_CONTROLLER_PORT:-$((port + 1))}"
data_dir="${KAFKA_DATA_DIR:-$root/.kafka/broker-$port}"
libs="$root/.kafka/libs"
heap="${KAFKA_HEAP:-512m}"
start_timeout="${KAFKA_START_TIMEOUT:-90}"
pid_file="$data_dir/broker.pid"
log_file="$data_dir/broker.log"
props="$data_dir/server.properties"

say() { echo "[kafka] $*" >&2; }

ensure_tools() {
  local missing=()
  command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null 2>&1 || missing+=(maven)
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]} from Debian"
    local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# The pom's hash names the marker, so a version bump in pom.xml fetches the jars again.
ensure_libs() {
  local marker="$libs/.fetched-$(sha1sum "$here/pom.xml" | cut -c1-12)"
  [ -f "$marker" ] && return 0
  ensure_tools
  say "fetching Apache Kafka jars from Maven Central into $libs"
  local started=$SECONDS
  rm -rf "$libs"
  mvn -q -B -f "$here/pom.xml" package -Dkafka.libs="$libs" >&2
  touch "$marker"
  say "fetched $(du -sh "$libs" | cut -f1) in $((SECONDS - started)) s"
}

java_cmd() { java -Xshare:auto -cp "$libs/*" -Dlog4j2.configurationFile="$here/$1" "${@:2}"; }

running_pid() {
  [ -f "$pid_file" ] || return 1
  local pid; pid="$(cat "$pid_file")"
  # Only our broker: the PID must still be a java process started with this data dir's properties.
  if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q "kafka.Kafka $props"; then
    echo "$pid"; return 0
  fi
  return 1
}

write_props() {
  mkdir -p "$data_dir/logs"
  local listeners="PLAINTEXT://127.0.0.1:$port" advertised="PLAINTEXT://127.0.0.1:$port"
  if [ -n "${KAFKA_PROXIED_PORT:-}" ]; then
    listeners="$listeners,PROXIED://127.0.0.1:$KAFKA_PROXIED_PORT"
    advertised="$advertised,PROXIED://127.0.0.1:${KAFKA_PROXY_PORT:?KAFKA_PROXY_PORT must be set with KAFKA_PROXIED_PORT}"
  fi
  cat > "$props" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=$listeners,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=$advertised
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,PROXIED:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$data_dir/logs
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
PROPS
}

format_once() {
  [ -f "$data_dir/logs/meta.properties" ] && return 0
  local cluster_id
  cluster_id="$(java_cmd log4j2-quiet.properties kafka.tools.StorageTool random-uuid)"
  java_cmd log4j2-quiet.properties kafka.tools.StorageTool format -t "$cluster_id" -c "$props" >/dev/null
  say "formatted KRaft storage in $data_dir/logs (cluster $cluster_id)"
}

start() {
  ensure_libs
  if pid="$(running_pid)"; then
    say "already running (pid $pid, 127.0.0.1:$port)"
  else
    ensure_tools
    write_props
    format_once
    local started=$SECONDS
    setsid nohup java -Xms"$heap" -Xmx"$heap" -XX:+UseG1GC -cp "$libs/*" \
      -Dlog4j2.configurationFile="$here/log4j2-broker.properties" \
      kafka.Kafka "$props" >>"$log_file" 2>&1 < /dev/null &
    echo $! > "$pid_file"
    say "started pid $(cat "$pid_file") on 127.0.0.1:$port, log $log_file"
  fi
  # "Started" means a produce with acks=all was acknowledged, not merely that the port listens.
  if ! node "$here/probe.mjs" "127.0.0.1:$port" "$start_timeout" "$(cat "$pid_file")"; then
    say "broker did not accept a produce; last log lines:"
    tail -n 30 "$log_file" >&2 || true
    exit 1
  fi
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then say "not running on port $port"; rm -f "$pid_file"; return 0; fi
  kill -TERM "$pid"
  for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then say "pid $pid ignored SIGTERM for 30 s, killing"; kill -KILL "$pid"; fi
  rm -f "$pid_file"
  say "stopped pid $pid"
}

status() {
  local pid
  if pid="$(running_pid)"; then echo "running pid=$pid port=$port data=$data_dir log=$log_file"
  else echo "stopped port=$port data=$data_dir"; return 3; fi
}

console() {
  ensure_libs
  exec java -cp "$libs/*" -Dlog4j2.configurationFile="$here/log4j2-quiet.properties" \
    org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "127.0.0.1:$port" "$@"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  console) shift; console "$@" ;;
  fetch) ensure_libs ;;
  *) echo "usage: $0 start|stop|status|fetch|console [args]" >&2; exit 2 ;;
esac
