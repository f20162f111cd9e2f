#!/usr/bin/env bash
# A local Apache Spark standalone cluster for Emporium on 127.0.0.1: start | stop | status | env
#
#   scripts/spark-cluster.sh start     master + worker(s) + a Spark Connect server (the one driver that dbt,
#                                      the raw load and the tests talk to), from the pyspark wheel in .venv-spark
#   eval "$(scripts/spark-cluster.sh env)"   EMPORIUM_SPARK_REMOTE / EMPORIUM_SPARK_MASTER for the `spark` target
#   scripts/spark-cluster.sh stop      stops exactly the processes `start` recorded (PID files)
#
# Ports are picked free at start (or EMPORIUM_SPARK_MASTER_PORT / EMPORIUM_SPARK_CONNECT_PORT); logs, PIDs,
# the table files (warehouse/) and the catalog (Derby metastore_db/) live in the run folder EMPORIUM_SPARK_DIR
# (default data/spark). The Connect server owns the catalog, so any number of client processes share it.
set -euo pipefail

project_dir="$(cd "$(dirname "$0")/.." && pwd)"
run_dir="${EMPORIUM_SPARK_DIR:-$project_dir/data/spark}"
venv="${EMPORIUM_SPARK_VENV:-$project_dir/.venv-spark}"
workers="${EMPORIUM_SPARK_WORKERS:-1}"
worker_cores="${EMPORIUM_SPARK_WORKER_CORES:-2}"
worker_memory="${EMPORIUM_SPARK_WORKER_MEMORY:-2g}"
driver_memory="${EMPORIUM_SPARK_DRIVER_MEMORY:-1g}"
executor_memory="${EMPORIUM_SPARK_EXECUTOR_MEMORY:-1g}"
wait_seconds="${EMPORIUM_SPARK_START_TIMEOUT:-120}"
env_file="$run_dir/cluster.env"

die() { echo "error: $*" >&2; exit 1; }

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

port_in_use() { python3 -c 'import socket, sys; s = socket.socket(); sys.exit(s.connect_ex(("127.0.0.1", int(sys.argv[1]))) != 0)' "$1"; }

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

spark_home() {
  [ -x "$venv/bin/python" ] || die "no Spark environment in $venv: run \`make install-spark\`"
  "$venv/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))'
}

ensure_java() {
  if [ -n "${JAVA_HOME:-}" ]; then
    [ -x "$JAVA_HOME/bin/java" ] || die "JAVA_HOME=$JAVA_HOME has no bin/java: install a JDK 17+ or fix JAVA_HOME"
  else
    command -v java >/dev/null || die "Java is missing: Spark needs a JDK 17+ (apt-get install openjdk-17-jre-headless, or set JAVA_HOME)"
  fi
}

# the master's view: how many workers are ALIVE (its web UI answers JSON)
alive_workers() {
  python3 - "$1" <<'EOF'
import json, sys, urllib.request
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/json/", timeout=5) as answer:
        print(json.load(answer).get("aliveworkers", 0))
except OSError:
    print(0)
EOF
}

# start PIDNAME LOG COMMAND...: run in the background; spark-class execs java, so $! is the JVM itself
launch() {
  local name="$1" log="$2"
  shift 2
  nohup "$@" >"$log" 2>&1 &
  echo $! >"$run_dir/pids/$name.pid"
}

start() {
  ensure_java
  local home
  home="$(spark_home)"
  mkdir -p "$run_dir"/{pids,logs,work,tmp,warehouse}
  for pid in "$run_dir"/pids/*.pid; do
    if alive "$pid"; then
      die "a cluster of this run folder is already running ($(basename "$pid" .pid), PID $(cat "$pid")): \`$0 stop\` first"
    fi
  done
  rm -f "$run_dir"/pids/*.pid "$env_file"
  local master_port="${EMPORIUM_SPARK_MASTER_PORT:-$(free_port)}"
  local connect_port="${EMPORIUM_SPARK_CONNECT_PORT:-$(free_port)}"
  local master_ui
  master_ui="$(free_port)"
  for port in "$master_port" "$connect_port"; do
    if port_in_use "$port"; then die "port $port on 127.0.0.1 is taken (another cluster?): refusing to start a second one"; fi
  done
  export SPARK_HOME="$home" SPARK_LOG_DIR="$run_dir/logs" SPARK_LOCAL_DIRS="$run_dir/tmp"
  export SPARK_LOCAL_IP=127.0.0.1 PYSPARK_PYTHON="$venv/bin/python"
  local master="spark://127.0.0.1:$master_port"
  launch master "$run_dir/logs/master.log" "$home/bin/spark-class" org.apache.spark.deploy.master.Master \
    --host 127.0.0.1 --port "$master_port" --webui-port "$master_ui"
  for i in $(seq 1 "$workers"); do
    launch "worker-$i" "$run_dir/logs/worker-$i.log" "$home/bin/spark-class" org.apache.spark.deploy.worker.Worker \
      "$master" --host 127.0.0.1 --port "$(free_port)" --webui-port "$(free_port)" \
      --cores "$worker_cores" --memory "$worker_memory" --work-dir "$run_dir/work"
  done
  local deadline=$((SECONDS + wait_seconds))
  until [ "$(alive_workers "$master_ui")" -ge "$workers" ]; do
    if [ $SECONDS -ge $deadline ] || ! alive "$run_dir/pids/master.pid"; then
      echo "error: no worker registered with $master within ${wait_seconds}s; logs:" >&2
      tail -n 15 "$run_dir"/logs/master.log "$run_dir"/logs/worker-*.log >&2 || true
      stop >/dev/null
      exit 1
    fi
    sleep 1
  done
  # Session settings every client gets: UTC, timestamps without time zone (as DuckDB's and Postgres'
  # `timestamp`), few shuffle partitions (2 cores), Parquet timestamps any reader understands, and "x" an
  # identifier as in standard SQL (the Python side quotes names that way on every engine).
  launch connect "$run_dir/logs/connect.log" "$home/bin/spark-submit" \
    --class org.apache.spark.sql.connect.service.SparkConnectServer --name emporium-connect \
    --master "$master" --driver-memory "$driver_memory" --executor-memory "$executor_memory" \
    --conf spark.driver.host=127.0.0.1 --conf spark.driver.bindAddress=127.0.0.1 \
    --conf spark.connect.grpc.binding.address=127.0.0.1 --conf spark.connect.grpc.binding.port="$connect_port" \
    --conf spark.ui.enabled=false \
    --conf spark.sql.catalogImplementation=hive \
    --conf spark.sql.warehouse.dir="$run_dir/warehouse" \
    --conf "spark.hadoop.javax.jdo.option.ConnectionURL=jdbc:derby:;databaseName=$run_dir/metastore_db;create=true" \
    --conf "spark.driver.extraJavaOptions=-Dderby.system.home=$run_dir" \
    --conf spark.sql.session.timeZone=UTC --conf spark.sql.timestampType=TIMESTAMP_NTZ \
    --conf spark.sql.shuffle.partitions=4 --conf spark.sql.parquet.outputTimestampType=TIMESTAMP_MICROS \
    --conf spark.sql.ansi.doubleQuotedIdentifiers=true \
    spark-internal
  until port_in_use "$connect_port"; do
    if [ $SECONDS -ge $deadline ] || ! alive "$run_dir/pids/connect.pid"; then
      echo "error: the Spark Connect server did not come up on 127.0.0.1:$connect_port; log:" >&2
      tail -n 30 "$run_dir/logs/connect.log" >&2 || true
      stop >/dev/null
      exit 1
    fi
    sleep 1
  done
  cat >"$env_file" <<EOF
export EMPORIUM_SPARK_MASTER=$master
export EMPORIUM_SPARK_REMOTE=sc://127.0.0.1:$connect_port
export EMPORIUM_SPARK_MASTER_UI=http://127.0.0.1:$master_ui
EOF
  echo "spark running: master $master ($workers worker(s) x $worker_cores cores), connect sc://127.0.0.1:$connect_port, run folder $run_dir"
}

stop() {
  local stopped=0
  for pid in "$run_dir"/pids/*.pid; do
    [ -f "$pid" ] || continue
    if alive "$pid"; then
      kill "$(cat "$pid")" 2>/dev/null || true
      for _ in $(seq 1 30); do alive "$pid" || break; sleep 0.5; done
      if alive "$pid"; then kill -9 "$(cat "$pid")" 2>/dev/null || true; fi
      stopped=$((stopped + 1))
    fi
    rm -f "$pid"
  done
  rm -f "$env_file"
  echo "spark stopped ($stopped process(es))"
}

status() {
  [ -f "$env_file" ] && alive "$run_dir/pids/master.pid" || die "no Spark cluster running from $run_dir: \`$0 start\`"
  # shellcheck disable=SC1090
  source "$env_file"
  local registered
  registered="$(alive_workers "${EMPORIUM_SPARK_MASTER_UI##*:}")"
  for pid in "$run_dir"/pids/*.pid; do
    echo "$(basename "$pid" .pid): PID $(cat "$pid") $(alive "$pid" && echo running || echo DEAD)"
  done
  echo "master $EMPORIUM_SPARK_MASTER: $registered worker(s) registered; connect $EMPORIUM_SPARK_REMOTE"
  [ "$registered" -ge 1 ] || die "no worker registered with $EMPORIUM_SPARK_MASTER"
  alive "$run_dir/pids/connect.pid" || die "the Spark Connect server is not running: see $run_dir/logs/connect.log"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) [ -f "$env_file" ] || die "no Spark cluster running from $run_dir: \`$0 start\`"; cat "$env_file" ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
