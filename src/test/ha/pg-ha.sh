#!/usr/bin/env bash
# A local PostgreSQL HA formation with pg_auto_failover, on loopback ports: a monitor, a primary
# and a synchronous standby (two standbys with --standbys 2). For tests, and for running the
# service with HA without Kubernetes. Not a production deployment: trust authentication on
# 127.0.0.1 and no TLS between the nodes.
#
#   pg-ha.sh start DIR [--base-port P] [--standbys N]   create (first time) or restart, wait until a standby is in sync
#   pg-ha.sh jdbc DIR                                   the multi-host JDBC URL for escrow.database.url
#   pg-ha.sh state DIR                                  pg_autoctl show state
#   pg-ha.sh primary-port DIR [SECONDS]                 the port of the writable primary, waiting for one (default 120 s)
#   pg-ha.sh kill-node DIR PORT                         kill -9 the node's keeper and postmaster (a machine dying)
#   pg-ha.sh stop DIR                                   stop every process of the formation
#
# Needs Debian's postgresql-15, postgresql-15-auto-failover and pg-auto-failover-cli. PostgreSQL
# never runs as root, so as root the nodes run as the postgres user and DIR is given to it.
set -euo pipefail

PGBIN=/usr/lib/postgresql/15/bin
die() { echo "pg-ha: $*" >&2; exit 2; }

[ $# -ge 2 ] || die "usage: pg-ha.sh start|jdbc|state|primary-port|kill-node|wait-primary|stop DIR [...]"
cmd=$1
dir=$(realpath -m "$2")
shift 2

command -v pg_autoctl >/dev/null || die "pg_autoctl not found: apt-get install postgresql-15 postgresql-15-auto-failover pg-auto-failover-cli"
[ -x "$PGBIN/pg_ctl" ] || die "$PGBIN/pg_ctl not found: apt-get install postgresql-15"

# The prefix that runs pg_autoctl (or psql) as the postgres user when we are root, with its config kept under DIR.
as_pg_prefix=()
[ "$(id -u)" = 0 ] && as_pg_prefix=(runuser -u postgres --)
as_pg_prefix+=(env PATH="$PGBIN:$PATH" XDG_CONFIG_HOME="$dir/xdg/config" XDG_DATA_HOME="$dir/xdg/data"
  XDG_RUNTIME_DIR="$dir/xdg/run" PGCONNECT_TIMEOUT=3)
as_pg() { "${as_pg_prefix[@]}" "$@"; }

monitor_port() { head -1 "$dir/ports"; }
node_ports() { tail -n +2 "$dir/ports"; }
monitor_uri() { echo "postgres://autoctl_node@127.0.0.1:$(monitor_port)/pg_auto_failover?sslmode=disable"; }

start_keeper() { # name: runs `pg_autoctl run` for one node in the background, logging to DIR/NAME.log
  local name=$1
  if [ -f "$dir/$name.keeper.pid" ] && kill -0 "$(cat "$dir/$name.keeper.pid")" 2>/dev/null; then
    return
  fi
  # Its own session, so that the keeper, its Postgres and their children can be killed together.
  rm -f "$dir/$name.keeper.pid"
  setsid bash -c 'echo $$ > "$0"; exec "$@"' "$dir/$name.keeper.pid" "${as_pg_prefix[@]}" pg_autoctl run --pgdata "$dir/$name" \
    >>"$dir/$name.log" 2>&1 < /dev/null &
  for _ in $(seq 50); do [ -s "$dir/$name.keeper.pid" ] && break; sleep 0.1; done
}

# The writable primary's port, from the monitor; empty while there is none. A node in wait_primary
# takes writes without a standby in sync (pg_auto_failover prefers availability there; see README).
current_primary() {
  as_pg "$PGBIN/psql" -At -h 127.0.0.1 -p "$(monitor_port)" -U autoctl_node -d pg_auto_failover \
    -c "select nodeport from pgautofailover.node where reportedstate in ('primary', 'wait_primary')
        and goalstate = reportedstate" 2>/dev/null | head -1
}

wait_primary() {
  local limit=${1:-120} waited=0 port
  while :; do
    port=$(current_primary || true)
    if [ -n "$port" ]; then
      echo "$port"
      return 0
    fi
    [ "$waited" -lt "$limit" ] || { as_pg pg_autoctl show state --pgdata "$dir/monitor" >&2 || true; die "no writable primary after ${limit}s"; }
    sleep 1
    waited=$((waited + 1))
  done
}

case "$cmd" in
  start)
    base=5600 standbys=1
    while [ $# -gt 0 ]; do
      case "$1" in
        --base-port) base=$2; shift 2 ;;
        --standbys) standbys=$2; shift 2 ;;
        *) die "unknown option $1" ;;
      esac
    done
    [[ "$standbys" =~ ^[12]$ ]] || die "--standbys must be 1 or 2"
    mkdir -p "$dir/xdg/config" "$dir/xdg/data" "$dir/xdg/run"
    chmod 700 "$dir/xdg/run"
    if [ "$(id -u)" = 0 ]; then
      chown -R postgres: "$dir"
      runuser -u postgres -- test -w "$dir" || die "the postgres user cannot reach $dir (a parent directory is closed to it, as mktemp -d makes them); choose a directory it can traverse"
    fi
    first=0
    if [ ! -f "$dir/ports" ]; then
      first=1
      seq "$base" $((base + standbys + 1)) > "$dir/ports"
    fi
    if [ ! -d "$dir/monitor" ]; then
      as_pg pg_autoctl create monitor --pgdata "$dir/monitor" --pgport "$(monitor_port)" --hostname 127.0.0.1 \
        --auth trust --no-ssl >>"$dir/monitor.log" 2>&1 || { tail -20 "$dir/monitor.log" >&2; die "monitor creation failed"; }
    fi
    start_keeper monitor
    for _ in $(seq 60); do
      as_pg "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$(monitor_port)" && break
      sleep 0.5
    done
    if [ "$first" = 1 ]; then
      # Fail over in seconds, not the default half minute: a node is unhealthy after 3 s without
      # health checks or keeper reports, and the standby is promoted once the old primary had
      # 5 s to demote itself (a dead one never answers).
      as_pg "$PGBIN/psql" -q -h 127.0.0.1 -p "$(monitor_port)" -U postgres -d pg_auto_failover \
        -c "alter system set pgautofailover.health_check_period = 1000" \
        -c "alter system set pgautofailover.health_check_timeout = 1000" \
        -c "alter system set pgautofailover.health_check_max_retries = 1" \
        -c "alter system set pgautofailover.health_check_retry_delay = 500" \
        -c "alter system set pgautofailover.node_considered_unhealthy_timeout = 3000" \
        -c "alter system set pgautofailover.primary_demote_timeout = 5000"
      as_pg "$PGBIN/pg_ctl" reload -D "$dir/monitor" -s
    fi
    i=0
    for port in $(node_ports); do
      i=$((i + 1))
      name=node$i
      if [ ! -d "$dir/$name" ]; then
        as_pg pg_autoctl create postgres --pgdata "$dir/$name" --pgport "$port" --hostname 127.0.0.1 --name "$name" \
          --dbname escrow --monitor "$(monitor_uri)" --auth trust --no-ssl --replication-quorum true \
          >>"$dir/$name.log" 2>&1 || { tail -20 "$dir/$name.log" >&2; die "$name creation failed"; }
      fi
      start_keeper "$name"
      if [ "$i" = 1 ] && [ "$first" = 1 ]; then
        # The standbys clone the primary, so it must be up first.
        for _ in $(seq 120); do
          as_pg "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port" && break
          sleep 0.5
        done
      fi
    done
    if [ "$first" = 1 ]; then
      # Commits wait for a standby; with two standbys, for one of them (so one may fail).
      as_pg pg_autoctl set formation number-sync-standbys $((standbys - 1)) --pgdata "$dir/monitor" >/dev/null 2>&1 || true
    fi
    primary=$(wait_primary 180)
    # Wait for a standby to stream in sync: until then a commit would be acknowledged on one machine only.
    for _ in $(seq 120); do
      sync=$(as_pg "$PGBIN/psql" -At -h 127.0.0.1 -p "$primary" -d escrow \
        -c "select count(*) from pg_stat_replication where sync_state in ('sync', 'quorum')" 2>/dev/null || echo 0)
      [ "${sync:-0}" -ge 1 ] && break
      sleep 1
    done
    [ "${sync:-0}" -ge 1 ] || die "no standby in sync with the primary on port $primary"
    echo "pg-ha: primary on 127.0.0.1:$primary, $sync standby in sync; monitor on $(monitor_port)" >&2
    ;;
  jdbc)
    hosts=$(node_ports | sed 's/^/127.0.0.1:/' | paste -sd, -)
    echo "jdbc:postgresql://$hosts/escrow?targetServerType=primary&connectTimeout=3&socketTimeout=30"
    ;;
  state)
    as_pg pg_autoctl show state --pgdata "$dir/monitor"
    ;;
  primary-port)
    wait_primary "${1:-120}"
    ;;
  kill-node)
    port=${1:?kill-node DIR PORT}
    i=0
    for p in $(node_ports); do
      i=$((i + 1))
      [ "$p" = "$port" ] || continue
      name=node$i
      pm=$(head -1 "$dir/$name/postmaster.pid" 2>/dev/null || true)
      [ -f "$dir/$name.keeper.pid" ] && pkill -9 -s "$(cat "$dir/$name.keeper.pid")" 2>/dev/null || true
      [ -n "$pm" ] && kill -9 "$pm" 2>/dev/null || true
      # The backends exit as soon as they notice their postmaster is gone.
      rm -f "$dir/$name.keeper.pid"
      exit 0
    done
    die "no node on port $port"
    ;;
  stop)
    for f in "$dir"/*.keeper.pid; do
      [ -f "$f" ] || continue
      pkill -TERM -s "$(cat "$f")" 2>/dev/null || true
    done
    sleep 2
    for f in "$dir"/*.keeper.pid; do
      [ -f "$f" ] || continue
      pkill -9 -s "$(cat "$f")" 2>/dev/null || true
      rm -f "$f"
    done
    for d in "$dir"/monitor "$dir"/node*; do
      pm=$(head -1 "$d/postmaster.pid" 2>/dev/null || true)
      [ -n "$pm" ] && kill -9 "$pm" 2>/dev/null || true
    done
    ;;
  *)
    die "unknown command $cmd"
    ;;
esac
