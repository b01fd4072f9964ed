#!/usr/bin/env bash
# A real single-node Apache Kafka broker (KRaft, combined broker+controller) for development,
# tests and benchmarks, on 127.0.0.1:9092.  The broker's jars come from Maven Central through
# scripts/kafka/pom.xml and are cached in .cache/kafka-<version>/; data lives in .data/kafka/.
#
#   scripts/kafka.sh fetch    download the broker (once)
#   scripts/kafka.sh start    start it (harmless when already up), create the topics
#   scripts/kafka.sh stop     stop it; no process is left behind
#   scripts/kafka.sh status   exit 0 when the broker answers on its port
#   scripts/kafka.sh reset    stop and delete all data
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$root/scripts/kafka/pom.xml")"
libs="$root/.cache/kafka-$KAFKA_VERSION/libs"
data="${KAFKA_DATA_DIR:-$root/.data/kafka}"
port="${KAFKA_PORT:-9092}"
controller_port="${KAFKA_CONTROLLER_PORT:-9093}"
pidfile="$data/broker.pid"

log() { echo "[kafka] $*" >&2; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

fetch() {
  if [ -f "$libs/.complete" ]; then return; fi
  command -v java >/dev/null || { log "java (17+) is required for the local broker"; exit 1; }
  command -v mvn >/dev/null || { log "maven is required to fetch the broker (apt-get install maven)"; exit 1; }
  log "fetching Apache Kafka $KAFKA_VERSION from Maven Central into .cache/"
  mkdir -p "$libs"
  mvn -q -B -f "$root/scripts/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$libs" -DincludeScope=runtime
  touch "$libs/.complete"
}

write_config() {
  mkdir -p "$data/logs"
  cat > "$data/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$data/logs
num.partitions=3
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=168
PROPS
  cat > "$data/log4j.properties" <<PROPS
log4j.rootLogger=WARN, file
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=WARN
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$data/server.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
PROPS
}

java_cmd() {
  java -Xms256m -Xmx768m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$data/log4j.properties" -cp "$libs/*" "$@"
}

start() {
  if listening "$port"; then log "already up on 127.0.0.1:$port"; create_topics; return; fi
  fetch
  write_config
  if [ ! -f "$data/logs/meta.properties" ]; then
    cluster_id="$(java_cmd kafka.tools.StorageTool random-uuid | tail -1)"
    java_cmd kafka.tools.StorageTool format -t "$cluster_id" -c "$data/server.properties" --ignore-formatted >/dev/null
  fi
  log "starting Apache Kafka $KAFKA_VERSION (KRaft) on 127.0.0.1:$port, data in ${data#"$root"/}"
  nohup java -Xms256m -Xmx768m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$data/log4j.properties" -cp "$libs/*" \
    kafka.Kafka "$data/server.properties" >"$data/stdout.log" 2>&1 &
  echo $! > "$pidfile"
  for _ in $(seq 1 120); do
    if listening "$port"; then break; fi
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then log "broker exited; see $data/stdout.log"; tail -20 "$data/stdout.log" >&2; exit 1; fi
    sleep 0.5
  done
  listening "$port" || { log "broker did not open its port in 60 s"; exit 1; }
  create_topics
  log "ready"
}

create_topics() {
  "$root/scripts/node22.sh" node "$root/scripts/kafka-topics.ts"
}

broker_pids() {
  { [ -f "$pidfile" ] && cat "$pidfile"; pgrep -f "kafka.Kafka $data/server.properties" || true; } | sort -u
}

stop() {
  local pids; pids="$(broker_pids)"
  if [ -z "$pids" ]; then log "not running"; return; fi
  log "stopping broker (pid $(echo $pids))"
  kill $pids 2>/dev/null || true
  for _ in $(seq 1 60); do
    alive=""; for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ -z "$alive" ] && break
    sleep 0.5
  done
  for p in $pids; do kill -9 "$p" 2>/dev/null || true; done
  rm -f "$pidfile"
  log "stopped"
}

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  status) listening "$port" ;;
  reset) stop; rm -rf "$data" ;;
  *) echo "usage: scripts/kafka.sh fetch|start|stop|status|reset" >&2; exit 2 ;;
esac
