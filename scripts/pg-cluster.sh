#!/usr/bin/env bash
# pg-cluster.sh — a throwaway PostgreSQL 15 cluster for tests and the demo.
#
#   pg-cluster.sh start DIR [PORT]   create (first time) and start a cluster in DIR; prints its connection variables
#   pg-cluster.sh stop DIR           stop it (pg_ctl, by the postmaster PID file); DIR is kept
#   pg-cluster.sh status DIR         exit 0 when running, 3 when not
#
# The cluster listens ONLY on 127.0.0.1 (and on a unix socket inside DIR), with wal_level=logical so the same cluster
# serves CDC tests. Connections over TCP need a password (scram-sha-256), as in a real deployment; the unix socket in
# DIR trusts local users and is what this script itself uses to set things up.
#
# Files in DIR (kept until DIR is removed):
#   data/              the data directory          postgres.log   the server log
#   port               the port chosen at creation  pgpass         a libpq password file for both roles
#   superuser-password, reader-password             the passwords (mode 0600)
#
# Roles: the superuser (PG_CLUSTER_SUPERUSER, default "postgres", password PG_CLUSTER_PASSWORD or random) and a
# non-superuser login role (PG_CLUSTER_READER, default "pgs3_reader", password PG_CLUSTER_READER_PASSWORD or random)
# with no privileges on anything, for permission tests.
#
# On success `start` prints one line to stdout:
#   PGHOST=127.0.0.1 PGPORT=<port> PGUSER=<superuser> PGPASSFILE=<DIR>/pgpass
# Everything else goes to stderr. When run as root, initdb/pg_ctl run as the `postgres` OS user (runuser) and DIR is
# chowned to it, so DIR must be somewhere that user can reach (e.g. a mktemp -d under /tmp, not under /root).
#
# Optional, read when a cluster is created (unset: the files above, unchanged), for preflight tests:
#   PGS3_PG_CONF="wal_level=replica max_replication_slots=1"   space-separated name=value settings appended to
#                                                              postgresql.conf (a later line wins)
#   PGS3_PG_HBA_NO_REPLICATION=1                               no `host replication` line in pg_hba.conf
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
SUPERUSER=${PG_CLUSTER_SUPERUSER:-postgres}
READER=${PG_CLUSTER_READER:-pgs3_reader}

die() { echo "pg-cluster: $*" >&2; exit 1; }
note() { echo "pg-cluster: $*" >&2; }

usage() {
  cat >&2 <<EOF
usage: pg-cluster.sh start DIR [PORT]
       pg-cluster.sh stop DIR
       pg-cluster.sh status DIR
EOF
  exit 2
}

[ $# -ge 2 ] || usage
cmd=$1
dir_arg=$2
port_arg=${3:-}

[ -x "$PG_BIN/initdb" ] || die "PostgreSQL 15 binaries not found in $PG_BIN (install postgresql-15: scripts/install-deps.sh)"

# Run a PostgreSQL binary as the OS user that owns the cluster: postgres when we are root (initdb and postgres refuse
# to run as root), ourselves otherwise.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

random_password() {
  # 24 characters from [A-Za-z0-9]; no shell or connection-string metacharacters to quote.
  local pw
  pw=$(LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 24) || true
  [ ${#pw} -eq 24 ] || die "could not generate a random password"
  printf '%s' "$pw"
}

port_in_use() {
  # Something answers on 127.0.0.1:$1, or something listens there (ss is quiet when nothing does).
  if command -v ss >/dev/null 2>&1; then
    ss -Htln "sport = :$1" 2>/dev/null | grep -q . && return 0
  fi
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
  return 1
}

pick_port() {
  local p i
  for i in $(seq 1 200); do
    p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
    port_in_use "$p" || { echo "$p"; return 0; }
  done
  die "no free TCP port found on 127.0.0.1"
}

is_running() {
  [ -f "$data/postmaster.pid" ] || return 1
  as_owner "$PG_BIN/pg_ctl" status -D "$data" >/dev/null 2>&1
}

print_env() {
  echo "PGHOST=127.0.0.1 PGPORT=$(cat "$dir/port") PGUSER=$SUPERUSER PGPASSFILE=$dir/pgpass"
}

# psql over the unix socket in DIR, as the superuser (trust on the socket; only the owner can reach DIR).
psql_local() {
  as_owner "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$(cat "$dir/port")" -U "$SUPERUSER" -d postgres "$@"
}

create_cluster() {
  local port=$1
  [ -z "$(ls -A "$data" 2>/dev/null)" ] || die "$data exists and is not an empty data directory; remove DIR or pick another"
  local su_pw=${PG_CLUSTER_PASSWORD:-$(random_password)}
  local rd_pw=${PG_CLUSTER_READER_PASSWORD:-$(random_password)}
  ( umask 077
    printf '%s' "$su_pw" >"$dir/superuser-password"
    printf '%s' "$rd_pw" >"$dir/reader-password"
    printf '127.0.0.1:%s:*:%s:%s\n127.0.0.1:%s:*:%s:%s\n' "$port" "$SUPERUSER" "$su_pw" "$port" "$READER" "$rd_pw" \
      >"$dir/pgpass"
    echo "$port" >"$dir/port" )
  [ "$(id -u)" -ne 0 ] || chown postgres: "$dir/superuser-password" "$dir/reader-password" "$dir/port"

  note "initdb in $data"
  as_owner "$PG_BIN/initdb" -D "$data" -U "$SUPERUSER" --pwfile="$dir/superuser-password" -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; die "initdb failed (log above)"; }

  cat >>"$data/postgresql.conf" <<EOF

# --- pg-cluster.sh: a throwaway test cluster ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
port = $port
wal_level = logical
max_replication_slots = 10
max_wal_senders = 10
fsync = off
synchronous_commit = off
full_page_writes = off
password_encryption = 'scram-sha-256'
log_min_messages = warning
log_connections = off
timezone = 'UTC'
EOF
  if [ -n "${PGS3_PG_CONF:-}" ]; then
    local kv
    echo "# --- PGS3_PG_CONF ---" >>"$data/postgresql.conf"
    for kv in $PGS3_PG_CONF; do
      case "$kv" in
        *=*) echo "${kv%%=*} = '${kv#*=}'" >>"$data/postgresql.conf" ;;
        *) die "PGS3_PG_CONF: '$kv' is not name=value" ;;
      esac
    done
  fi
  # Only 127.0.0.1 over TCP, always with a password; replication connections too (CDC tests).
  cat >"$data/pg_hba.conf" <<EOF
# TYPE  DATABASE     USER  ADDRESS        METHOD
local   all          all                  trust
host    all          all   127.0.0.1/32   scram-sha-256
host    replication  all   127.0.0.1/32   scram-sha-256
EOF
  if [ "${PGS3_PG_HBA_NO_REPLICATION:-0}" = 1 ]; then
    sed -i '/^host    replication /d' "$data/pg_hba.conf"
  fi
}

start_server() {
  as_owner "$PG_BIN/pg_ctl" start -D "$data" -l "$dir/postgres.log" -w -t 60 -s >/dev/null 2>&1
}

cmd_start() {
  if [ -e "$dir_arg" ] && [ ! -d "$dir_arg" ]; then die "$dir_arg is not a directory"; fi
  mkdir -p "$dir_arg"
  dir=$(cd "$dir_arg" && pwd)
  data=$dir/data
  case "$dir" in
    /root|/root/*) [ "$(id -u)" -ne 0 ] || die "DIR $dir is under /root, which the postgres user cannot reach; use a directory under /tmp" ;;
  esac
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "the postgres OS user does not exist (install postgresql-15)"
    chown postgres: "$dir"
    chmod 0700 "$dir"
    as_owner test -w "$dir" || die "the postgres user cannot write to $dir (is a parent directory closed to it?)"
  fi

  if is_running; then
    [ -z "$port_arg" ] || [ "$port_arg" = "$(cat "$dir/port")" ] \
      || die "the cluster in $dir is already running on port $(cat "$dir/port"), not $port_arg"
    note "already running"
    print_env
    return 0
  fi

  local fresh=0
  if [ ! -f "$data/PG_VERSION" ]; then
    fresh=1
    local port=${port_arg:-$(pick_port)}
    create_cluster "$port"
  elif [ -n "$port_arg" ] && [ "$port_arg" != "$(cat "$dir/port")" ]; then
    die "the cluster in $dir was created for port $(cat "$dir/port"); start it without a port or remove DIR"
  fi

  # A port picked by us may be taken between the check and the bind: pick another one a few times.
  local attempt
  for attempt in 1 2 3 4 5; do
    if start_server; then break; fi
    if [ -z "$port_arg" ] && grep -q "could not bind\|Address already in use" "$dir/postgres.log" 2>/dev/null; then
      local port
      port=$(pick_port)
      note "port $(cat "$dir/port") was taken; retrying on $port"
      sed -i "s/^port = .*/port = $port/" "$data/postgresql.conf"
      sed -i "s/^\(127\.0\.0\.1:\)[0-9]*:/\1$port:/" "$dir/pgpass"
      echo "$port" >"$dir/port"
      : >"$dir/postgres.log"
      continue
    fi
    tail -n 30 "$dir/postgres.log" >&2 || true
    die "the server in $dir did not start (log: $dir/postgres.log)"
  done
  is_running || die "the server in $dir did not start (log: $dir/postgres.log)"

  if [ "$fresh" -eq 1 ]; then
    local rd_pw
    rd_pw=$(cat "$dir/reader-password")
    psql_local <<EOF
CREATE ROLE "$READER" LOGIN PASSWORD '$rd_pw';
EOF
  fi
  note "running in $dir on 127.0.0.1:$(cat "$dir/port") (log: $dir/postgres.log)"
  print_env
}

cmd_stop() {
  [ -d "$dir_arg" ] || die "$dir_arg does not exist"
  dir=$(cd "$dir_arg" && pwd)
  data=$dir/data
  if [ ! -f "$data/postmaster.pid" ]; then
    note "not running ($dir)"
    return 0
  fi
  if ! is_running; then
    note "not running ($dir; stale postmaster.pid)"
    return 0
  fi
  local pid
  pid=$(head -n 1 "$data/postmaster.pid")
  if ! as_owner "$PG_BIN/pg_ctl" stop -D "$data" -m fast -w -t 30 -s >/dev/null 2>&1; then
    note "fast shutdown of postmaster $pid timed out; using immediate shutdown"
    as_owner "$PG_BIN/pg_ctl" stop -D "$data" -m immediate -w -t 30 -s >/dev/null 2>&1 \
      || die "could not stop postmaster $pid in $dir"
  fi
  note "stopped ($dir)"
}

cmd_status() {
  [ -d "$dir_arg" ] || { note "$dir_arg does not exist"; exit 3; }
  dir=$(cd "$dir_arg" && pwd)
  data=$dir/data
  if is_running; then print_env; exit 0; fi
  exit 3
}

case "$cmd" in
  start) cmd_start ;;
  stop) [ -z "$port_arg" ] || usage; cmd_stop ;;
  status) cmd_status ;;
  *) usage ;;
esac
