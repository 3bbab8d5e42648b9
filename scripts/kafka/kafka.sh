#!/usr/bin/env bash
# Runs Apache Kafka (KRaft, combined broker + controller nodes) from jars fetched off Maven Central,
# on the installed Java: how tests, CI and `npm start` get a real broker where no Docker engine runs.
#
#   kafka.sh start | stop [NODE...] | status | console [kafka-console-consumer args...]
#
# Environment: KAFKA_NODES (1): how many nodes; node i (from 1) listens on KAFKA_PORT (9092) + 2(i-1)
# and its controller on the port after it, with its data in .kafka/broker-<its port>. `start` starts
# the nodes that are down and waits until the whole cluster accepts a produce with acks=all; `stop`
# stops every node, or the ones named. KAFKA_CONTROLLER_PORT and KAFKA_DATA_DIR (one node only),
# KAFKA_HEAP (512m per node), KAFKA_START_TIMEOUT (90 seconds).
# KAFKA_EXTRA_LISTENERS (e.g. SASL_SSL://127.0.0.1:9094), KAFKA_EXTRA_CONFIG (a properties file
# appended to each node's server.properties) and KAFKA_FORMAT_ARGS (added to `kafka-storage format`,
# e.g. --add-scram ...): how tests run TLS and SASL listeners.
# KAFKA_PROXIED_PORT and KAFKA_PROXY_PORT (tests, one node only): one more listener on
# KAFKA_PROXIED_PORT that advertises KAFKA_PROXY_PORT, where a TCP proxy forwards to it: clients
# bootstrapped through the proxy then keep every connection through it (they connect to the
# advertised address).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
base_port="${KAFKA_PORT:-9092}"
nodes="${KAFKA_NODES:-1}"
libs="$root/.kafka/libs"
heap="${KAFKA_HEAP:-512m}"
start_timeout="${KAFKA_START_TIMEOUT:-90}"

if ! [[ "$nodes" =~ ^[1-9]$ ]]; then echo "[kafka] Expected KAFKA_NODES to be 1 to 9, got \"$nodes\"" >&2; exit 2; fi
if [ "$nodes" -gt 1 ] && [ -n "${KAFKA_PROXIED_PORT:-}${KAFKA_CONTROLLER_PORT:-}${KAFKA_DATA_DIR:-}" ]; then
  echo "[kafka] KAFKA_PROXIED_PORT, KAFKA_CONTROLLER_PORT and KAFKA_DATA_DIR apply to one node only (KAFKA_NODES=$nodes)" >&2
  exit 2
fi

node_port() { echo $((base_port + 2 * ($1 - 1))); }
controller_port() { if [ "$nodes" -eq 1 ]; then echo "${KAFKA_CONTROLLER_PORT:-$((base_port + 1))}"; else echo $(($(node_port "$1") + 1)); fi; }
data_dir() { if [ "$nodes" -eq 1 ]; then echo "${KAFKA_DATA_DIR:-$root/.kafka/broker-$base_port}"; else echo "$root/.kafka/broker-$(node_port "$1")"; fi; }
all_nodes() { seq 1 "$nodes"; }
brokers() { local list=() i; for i in $(all_nodes); do list+=("127.0.0.1:$(node_port "$i")"); done; (IFS=,; echo "${list[*]}"); }
# Replicated internal topics need that many nodes; three copies at most, two in sync.
replicas() { echo $((nodes < 3 ? nodes : 3)); }
min_isr() { echo $((nodes < 2 ? 1 : 2)); }

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
  local dir pid; dir="$(data_dir "$1")"
  [ -f "$dir/broker.pid" ] || return 1
  pid="$(cat "$dir/broker.pid")"
  # Only our broker: the PID must still be a java process started with this data dir's properties.
  if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q "kafka.Kafka $dir/server.properties"; then
    echo "$pid"; return 0
  fi
  return 1
}

write_props() {
  local node="$1" dir port controller voters="" i
  dir="$(data_dir "$node")"; port="$(node_port "$node")"; controller="$(controller_port "$node")"
  for i in $(all_nodes); do voters="${voters:+$voters,}$i@127.0.0.1:$(controller_port "$i")"; done
  mkdir -p "$dir/logs"
  local listeners="PLAINTEXT://127.0.0.1:$port" advertised="PLAINTEXT://127.0.0.1:$port"
  if [ -n "${KAFKA_PROXIED_PORT:-}" ]; then
    listeners="$listeners,PROXIED://127.0.0.1:$KAFKA_PROXIED_PORT"
    advertised="$advertised,PROXIED://127.0.0.1:${KAFKA_PROXY_PORT:?KAFKA_PROXY_PORT must be set with KAFKA_PROXIED_PORT}"
  fi
  if [ -n "${KAFKA_EXTRA_LISTENERS:-}" ]; then listeners="$listeners,$KAFKA_EXTRA_LISTENERS"; advertised="$advertised,$KAFKA_EXTRA_LISTENERS"; fi
  cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=$node
controller.quorum.voters=$voters
listeners=$listeners,CONTROLLER://127.0.0.1:$controller
advertised.listeners=$advertised
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,PROXIED:PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL,SASL_PLAINTEXT:SASL_PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/logs
num.partitions=1
offsets.topic.replication.factor=$(replicas)
transaction.state.log.replication.factor=$(replicas)
transaction.state.log.min.isr=$(min_isr)
unclean.leader.election.enable=false
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
PROPS
  if [ -n "${KAFKA_EXTRA_CONFIG:-}" ]; then cat "$KAFKA_EXTRA_CONFIG" >> "$dir/server.properties"; fi
}

# Every node of a cluster is formatted with one cluster id: the first formatted node's, or a new one.
cluster_id() {
  local i meta
  for i in $(all_nodes); do
    meta="$(data_dir "$i")/logs/meta.properties"
    if [ -f "$meta" ]; then sed -n 's/^cluster.id=//p' "$meta"; return 0; fi
  done
  java_cmd log4j2-quiet.properties kafka.tools.StorageTool random-uuid
}

format_once() {
  local dir; dir="$(data_dir "$1")"
  [ -f "$dir/logs/meta.properties" ] && return 0
  local extra=()
  read -ra extra <<< "${KAFKA_FORMAT_ARGS:-}"
  java_cmd log4j2-quiet.properties kafka.tools.StorageTool format -t "$2" -c "$dir/server.properties" "${extra[@]}" >/dev/null
  say "formatted KRaft storage in $dir/logs (cluster $2)"
}

start_node() {
  local node="$1" dir pid
  dir="$(data_dir "$node")"
  if pid="$(running_pid "$node")"; then say "already running (pid $pid, 127.0.0.1:$(node_port "$node"))"; return 0; fi
  write_props "$node"
  format_once "$node" "$2"
  setsid nohup java -Xms"$heap" -Xmx"$heap" -XX:+UseG1GC -cp "$libs/*" \
    -Dlog4j2.configurationFile="$here/log4j2-broker.properties" \
    kafka.Kafka "$dir/server.properties" >>"$dir/broker.log" 2>&1 < /dev/null &
  echo $! > "$dir/broker.pid"
  say "started pid $! on 127.0.0.1:$(node_port "$node"), log $dir/broker.log"
}

start() {
  ensure_libs
  ensure_tools
  local id pids=() node
  id="$(cluster_id)"
  # All at once: a KRaft quorum of several nodes elects its controller only once a majority runs.
  for node in $(all_nodes); do start_node "$node" "$id"; pids+=("$(cat "$(data_dir "$node")/broker.pid")"); done
  # "Started" means the cluster acknowledged a produce with acks=all and every node registered, not merely that ports listen.
  if ! node "$here/probe.mjs" "$(brokers)" "$start_timeout" "$(IFS=,; echo "${pids[*]}")" "$nodes"; then
    say "the cluster did not accept a produce; last log lines of each node:"
    for node in $(all_nodes); do tail -n 15 "$(data_dir "$node")/broker.log" >&2 || true; done
    exit 1
  fi
}

stop_node() {
  local node="$1" pid dir; dir="$(data_dir "$node")"
  if ! pid="$(running_pid "$node")"; then say "not running on port $(node_port "$node")"; rm -f "$dir/broker.pid"; return 0; fi
  kill -TERM "$pid"
  for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then say "pid $pid ignored SIGTERM for 30 s, killing"; kill -KILL "$pid"; fi
  rm -f "$dir/broker.pid"
  say "stopped pid $pid"
}

stop() {
  local node targets=("$@")
  [ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(all_nodes)
  for node in "${targets[@]}"; do
    if ! [[ "$node" =~ ^[1-9]$ ]] || [ "$node" -gt "$nodes" ]; then say "Expected a node from 1 to $nodes, got \"$node\""; exit 2; fi
  done
  # Several nodes stop together: one by one, the last ones would wait for a quorum that is gone.
  for node in "${targets[@]}"; do stop_node "$node" & done
  wait
}

status() {
  local node pid down=0
  for node in $(all_nodes); do
    if pid="$(running_pid "$node")"; then
      echo "node $node running pid=$pid port=$(node_port "$node") data=$(data_dir "$node") log=$(data_dir "$node")/broker.log"
    else
      echo "node $node stopped port=$(node_port "$node") data=$(data_dir "$node")"; down=1
    fi
  done
  echo "KAFKA_BROKERS=$(brokers)"
  [ "$down" -eq 0 ] || return 3
}

console() {
  ensure_libs
  exec java -cp "$libs/*" -Dlog4j2.configurationFile="$here/log4j2-quiet.properties" \
    org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$(brokers)" "$@"
}

case "${1:-}" in
  start) start ;;
  stop) shift; stop "$@" ;;
  status) status ;;
  console) shift; console "$@" ;;
  fetch) ensure_libs ;;
  *) echo "usage: $0 start|stop [NODE...]|status|fetch|console [args]" >&2; exit 2 ;;
esac
