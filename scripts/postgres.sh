#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for Emporium on 127.0.0.1: start | stop | status | url
# The server refuses to run as root, so as root it runs as an unprivileged system user.
set -euo pipefail

project_dir="$(cd "$(dirname "$0")/.." && pwd)"
pg_bin="${EMPORIUM_PG_BIN:-/usr/lib/postgresql/15/bin}"
pg_dir="${EMPORIUM_PG_DIR:-$project_dir/data/postgres}"
port="${EMPORIUM_PG_PORT:-54329}"
user="${EMPORIUM_PG_USER:-emporium}"
database="${EMPORIUM_PG_DATABASE:-emporium}"
run_user="${EMPORIUM_PG_OS_USER:-postgres}"

as_server_user() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u "$run_user" -- "$@"; else "$@"; fi
}

ensure_binaries() {
  [ -x "$pg_bin/initdb" ] && return
  if [ "$(id -u)" -eq 0 ]; then
    echo "PostgreSQL binaries missing in $pg_bin: installing the postgresql package" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  [ -x "$pg_bin/initdb" ] || { echo "error: no initdb in $pg_bin (set EMPORIUM_PG_BIN)" >&2; exit 1; }
}

ensure_os_user() {
  [ "$(id -u)" -eq 0 ] || return 0
  id -u "$run_user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$run_user"
}

start() {
  ensure_binaries
  ensure_os_user
  mkdir -p "$pg_dir"
  [ "$(id -u)" -ne 0 ] || chown "$run_user" "$pg_dir"
  if [ ! -f "$pg_dir/cluster/PG_VERSION" ]; then
    as_server_user "$pg_bin/initdb" -D "$pg_dir/cluster" -U "$user" --auth=trust --encoding=UTF8 \
      --locale=C.UTF-8 >"$pg_dir/initdb.log"
  fi
  if as_server_user "$pg_bin/pg_ctl" -D "$pg_dir/cluster" status >/dev/null 2>&1; then
    echo "postgres already running on 127.0.0.1:$port"
  else
    as_server_user "$pg_bin/pg_ctl" -D "$pg_dir/cluster" -l "$pg_dir/server.log" -w -t 60 \
      -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" start >/dev/null \
      || { echo "error: postgres did not start; see $pg_dir/server.log" >&2; tail -20 "$pg_dir/server.log" >&2; exit 1; }
  fi
  if ! "$pg_bin/psql" -h 127.0.0.1 -p "$port" -U "$user" -d postgres -Atqc \
      "select 1 from pg_database where datname = '$database'" | grep -q 1; then
    "$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U "$user" "$database"
  fi
  echo "postgres running on 127.0.0.1:$port (database $database, user $user, data $pg_dir/cluster)"
}

stop() {
  [ -f "$pg_dir/cluster/PG_VERSION" ] || { echo "no cluster in $pg_dir"; return 0; }
  as_server_user "$pg_bin/pg_ctl" -D "$pg_dir/cluster" -m fast -w stop >/dev/null 2>&1 || true
  echo "postgres stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) as_server_user "$pg_bin/pg_ctl" -D "$pg_dir/cluster" status ;;
  destroy) stop; rm -rf "$pg_dir" ;;
  url) echo "postgresql://$user@127.0.0.1:$port/$database" ;;
  *) echo "usage: $0 start|stop|status|destroy|url" >&2; exit 2 ;;
esac
