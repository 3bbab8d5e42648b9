#!/usr/bin/env bash
# Runs Apache Kafka (KRaft, combined broker + controller nodes) from jars fetched off Maven Central,
# on the installed Java: how tests, CI and `npm start` get a real broker where no Docker engine runs.
#
#   kafka.sh start [NODE...] | stop [NODE...] | status [NODE...] | console [kafka-console-consumer args...]
#
# Environment: KAFKA_NODES (1): how many nodes; node i (from 1) listens on KAFKA_PORT (9092) + 2(i-1)
# and its controller on the port after it, with its data in .kafka/broker-<its port>. `start` starts
# the nodes that are down (every node, or the ones named) and waits until the nodes running accept a
# produce with acks=all; `stop` stops every node, or the ones named. A named node needs no
# KAFKA_NODES: its port and data dir follow from its number, and `start` takes the cluster's size
# from the node's last server.properties. KAFKA_CONTROLLER_PORT and KAFKA_DATA_DIR (one node only),
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
nodes_given="${KAFKA_NODES:+yes}"
nodes="${KAFKA_NODES:-1}"
libs="$root/.kafka/libs"
heap="${KAFKA_HEAP:-512m}"
start_timeout="${KAFKA_START_TIMEOUT:-90}"

if ! [[ "$nodes" =~ ^[1-9]$ ]]; then echo "[kafka] Expected KAFKA_NODES to be 1 to 9, got \"$nodes\"" >&2; exit 2; fi
one_node_only() {
  if [ "$nodes" -gt 1 ] && [ -n "${KAFKA_PROXIED_PORT:-}${KAFKA_CONTROLLER_PORT:-}${KAFKA_DATA_DIR:-}" ]; then
    echo "[kafka] KAFKA_PROXIED_PORT, KAFKA_CONTROLLER_PORT and KAFKA_DATA_DIR apply to one node only (a cluster of $nodes)" >&2
    exit 2
  fi
}
one_node_only

node_port() { echo $((base_port + 2 * ($1 - 1))); }
# Only node 1 can be moved by KAFKA_CONTROLLER_PORT and KAFKA_DATA_DIR (refused in a cluster), so a
# node's ports and data dir follow from its number alone and `stop 2` finds node 2 without KAFKA_NODES.
controller_port() { if [ "$1" -eq 1 ]; then echo "${KAFKA_CONTROLLER_PORT:-$((base_port + 1))}"; else echo $(($(node_port "$1") + 1)); fi; }
data_dir() { if [ "$1" -eq 1 ]; then echo "${KAFKA_DATA_DIR:-$root/.kafka/broker-$base_port}"; else echo "$root/.kafka/broker-$(node_port "$1")"; fi; }
all_nodes() { seq 1 "$nodes"; }
brokers_of() { local list=() i; for i in "$@"; do list+=("127.0.0.1:$(node_port "$i")"); done; (IFS=,; echo "${list[*]}"); }
brokers() { brokers_of $(all_nodes); }
# Replicated internal topics need that many nodes; three copies at most, two in sync.
replicas() { echo $((nodes < 3 ? nodes : 3)); }
min_isr() { echo $((nodes < 2 ? 1 : 2)); }

say() { echo "[kafka] $*" >&2; }

# Node ids are 1 to 9, as KAFKA_NODES is: 0 would put node 1's neighbour below KAFKA_PORT.
check_nodes() {
  local node
  for node in "$@"; do
    if ! [[ "$node" =~ ^[1-9]$ ]]; then say "Expected a node number from 1 to 9 (node i listens on KAFKA_PORT + 2(i-1)), got \"$node\""; exit 2; fi
  done
}

# How many voters a node was last started with: the size of its cluster when KAFKA_NODES is not given.
recorded_nodes() {
  local props; props="$(data_dir "$1")/server.properties"
  [ -f "$props" ] || return 1
  sed -n 's/^controller.quorum.voters=//p' "$props" | tr ',' '\n' | grep -c '@'
}

# Starting a named node rewrites its server.properties, whose voters must be the whole cluster's.
size_cluster_of() {
  local node known=""
  if [ -z "$nodes_given" ]; then
    for node in "$@"; do known="$(recorded_nodes "$node")" && break; known=""; done
    if [ -n "$known" ]; then
      nodes="$known"
    else
      for node in "$@"; do
        if [ "$node" -gt 1 ]; then say "node $node has never been started on port $(node_port "$node"): set KAFKA_NODES to the size of its cluster"; exit 2; fi
      done
    fi
  fi
  for node in "$@"; do
    if [ "$node" -gt "$nodes" ]; then say "node $node is not in a cluster of $nodes (KAFKA_NODES)"; exit 2; fi
  done
  one_node_only
}

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
  local id pids=() up=() node targets=("$@")
  if [ ${#targets[@]} -gt 0 ]; then check_nodes "${targets[@]}"; size_cluster_of "${targets[@]}"; else mapfile -t targets < <(all_nodes); fi
  ensure_libs
  ensure_tools
  id="$(cluster_id)"
  # All at once: a KRaft quorum of several nodes elects its controller only once a majority runs.
  for node in "${targets[@]}"; do start_node "$node" "$id"; pids+=("$(cat "$(data_dir "$node")/broker.pid")"); done
  for node in $(all_nodes); do running_pid "$node" >/dev/null && up+=("$node"); done
  # "Started" means the nodes running acknowledged a produce with acks=all and each registered, not
  # merely that ports listen; nodes left stopped on purpose are not waited for.
  if ! node "$here/probe.mjs" "$(brokers_of "${up[@]}")" "$start_timeout" "$(IFS=,; echo "${pids[*]}")" "${#up[@]}"; then
    say "the cluster did not accept a produce; last log lines of each node started:"
    for node in "${targets[@]}"; do tail -n 15 "$(data_dir "$node")/broker.log" >&2 || true; done
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
  if [ ${#targets[@]} -gt 0 ]; then check_nodes "${targets[@]}"; else mapfile -t targets < <(all_nodes); fi
  # Several nodes stop together: one by one, the last ones would wait for a quorum that is gone.
  for node in "${targets[@]}"; do stop_node "$node" & done
  wait
}

status() {
  local node pid down=0 targets=("$@")
  if [ ${#targets[@]} -gt 0 ]; then check_nodes "${targets[@]}"; else mapfile -t targets < <(all_nodes); fi
  for node in "${targets[@]}"; do
    if pid="$(running_pid "$node")"; then
      echo "node $node running pid=$pid port=$(node_port "$node") data=$(data_dir "$node") log=$(data_dir "$node")/broker.log"
    else
      echo "node $node stopped port=$(node_port "$node") data=$(data_dir "$node")"; down=1
    fi
  done
  echo "KAFKA_BROKERS=$(brokers_of "${targets[@]}")"
  [ "$down" -eq 0 ] || return 3
}

console() {
  ensure_libs
  exec java -cp "$libs/*" -Dlog4j2.configurationFile="$here/log4j2-quiet.properties" \
    org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$(brokers)" "$@"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  status) shift; status "$@" ;;
  console) shift; console "$@" ;;
  fetch) ensure_libs ;;
  *) echo "usage: $0 start [NODE...]|stop [NODE...]|status [NODE...]|fetch|console [args]" >&2; exit 2 ;;
esac
