#!/usr/bin/env bash
# Benchmark: deposits with synchronous replication against a single node, in one run.
#
#   src/test/ha/bench-replication.sh [SECONDS]     (after ./mvnw -B -DskipTests install)
#
# Starts the packaged service twice with `escrowctl load --recovery 0` against it: first on one
# PostgreSQL 15 server (Debian's, on loopback), then on the pg_auto_failover formation of
# pg-ha.sh (a primary and a synchronous standby on the same machine), and prints both runs and
# the DepositStream ratio. Both databases are Debian's PostgreSQL 15 with the same settings
# apart from replication, so the ratio is the cost of waiting for the standby's flush.
set -euo pipefail
cd "$(dirname "$0")/../../.."
seconds=${1:-5}
launcher=escrow-service/bin/escrowctl
[ -x "$launcher" ] || { echo "build first: ./mvnw -B -DskipTests install" >&2; exit 2; }
PGBIN=/usr/lib/postgresql/15/bin
as_pg=()
[ "$(id -u)" = 0 ] && as_pg=(runuser -u postgres --)

work=$(mktemp -d /tmp/escrow-bench-repl-XXXXXX)
chmod 755 "$work"
service_pid=
cleanup() {
  [ -n "$service_pid" ] && kill "$service_pid" 2>/dev/null && wait "$service_pid" 2>/dev/null || true
  "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$work/single" -m fast stop >/dev/null 2>&1 || true
  src/test/ha/pg-ha.sh stop "$work/ha" >/dev/null 2>&1 || true
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# run NAME JDBC_URL: the service on that database, then the load generator against it.
run() {
  local name=$1 url=$2 grpc http
  grpc=$(free_port)
  http=$(free_port)
  ESCROW_DATA_DIR="$work/$name-data" ESCROW_GRPC_PORT=$grpc QUARKUS_HTTP_PORT=$http ESCROW_DB_URL=$url \
    ESCROW_DB_USERNAME=postgres "$launcher" serve >"$work/$name-service.log" 2>&1 &
  service_pid=$!
  for _ in $(seq 240); do
    curl -sf "http://localhost:$http/q/health/ready" >/dev/null && break
    kill -0 "$service_pid" 2>/dev/null || { tail -20 "$work/$name-service.log" >&2; exit 1; }
    sleep 0.5
  done
  echo "== $name: $url" | tee -a "$work/results"
  ESCROW_DATA_DIR="$work/$name-data" "$launcher" load --target "localhost:$grpc" --seconds "$seconds" --recovery 0 \
    --pid "$service_pid" | tee -a "$work/results"
  kill "$service_pid"
  wait "$service_pid" 2>/dev/null || true
  service_pid=
}

mkdir -p "$work/single"
[ "$(id -u)" = 0 ] && chown postgres: "$work/single"
"${as_pg[@]}" "$PGBIN/initdb" -D "$work/single" -U postgres --auth=trust >/dev/null
port=$(free_port)
printf "port = %s\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\nsynchronous_commit = on\nmax_connections = 300\n" \
  "$port" >> "$work/single/postgresql.auto.conf"
"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$work/single" -l "$work/single/server.log" -w start >/dev/null
run single "jdbc:postgresql://127.0.0.1:$port/postgres"
"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$work/single" -m fast stop >/dev/null

src/test/ha/pg-ha.sh start "$work/ha" --base-port "$(( $(free_port) % 20000 + 20000 ))"
run replicated "$(src/test/ha/pg-ha.sh jdbc "$work/ha")"

single=$(awk '/^== single/{f=1} f && /DepositStream, 1 stream/{gsub(",","",$4); print $4; exit}' "$work/results")
replicated=$(awk '/^== replicated/{f=1} f && /DepositStream, 1 stream/{gsub(",","",$4); print $4; exit}' "$work/results")
echo
echo "DepositStream: single node $single records/s, synchronous standby $replicated records/s," \
  "ratio $(python3 -c "print(f'{$replicated / $single:.2f}')")"
echo "(full output in $work/results)"
