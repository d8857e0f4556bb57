#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests, CI and the load test.
#
#   bash server/tests/postgres.sh start DIR   # the URL is stdout's last line
#   bash server/tests/postgres.sh stop DIR    # also when already stopped
#
# `start` makes a cluster in DIR/data (DIR must exist and be empty of a
# previous cluster), listening on 127.0.0.1 only, on a free port, trusting
# every user from loopback; its socket is in DIR, its log is DIR/postgres.log
# and its URL is also written to DIR/url. It returns once the cluster accepts
# connections and prints `postgres://postgres@127.0.0.1:PORT/postgres`.
# Everything else goes to stderr.
#
# PG_SETTINGS adds server settings, e.g. PG_SETTINGS="-c fsync=off".
#
# initdb and pg_ctl come from PATH, else /usr/lib/postgresql/15/bin, else
# the newest /usr/lib/postgresql/*/bin; when there are none and this runs as
# root, `apt-get install postgresql` provides them. They refuse to run as
# root: as root they run as the `postgres` user, which then owns DIR.
set -euo pipefail

usage() {
  echo "usage: $0 start DIR | stop DIR" >&2
  exit 2
}

[ $# -eq 2 ] || usage
command=$1
dir=$(cd "$2" && pwd)
data=$dir/data
log=$dir/postgres.log

# The directory holding initdb and pg_ctl, or nothing.
find_bin() {
  local initdb candidate
  if initdb=$(command -v initdb) && command -v pg_ctl >/dev/null; then
    dirname "$initdb"
    return
  fi
  for candidate in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
    if [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ]; then
      echo "$candidate"
      return
    fi
  done
  return 0
}

install_postgresql() {
  if [ "$(id -u)" != 0 ]; then
    echo "postgres.sh: no initdb/pg_ctl on PATH or in /usr/lib/postgresql/*/bin," \
      "and not root to install them (apt-get install postgresql)" >&2
    exit 1
  fi
  echo "postgres.sh: installing PostgreSQL (apt-get install postgresql)" >&2
  local attempt
  for attempt in 1 2; do
    if apt-get update -qq >"$dir/apt.log" 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >>"$dir/apt.log" 2>&1; then
      return
    fi
    tail -n 20 "$dir/apt.log" >&2
    echo "postgres.sh: apt-get install postgresql failed (attempt $attempt of 2)" >&2
    sleep 5
  done
  exit 1
}

# Runs its arguments as the cluster's owner, from a directory that owner
# may enter (the caller's may be root's own).
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && "$@")
  fi
}

bin=$(find_bin)

case $command in
start)
  if [ -z "$bin" ]; then
    install_postgresql
    bin=$(find_bin)
    [ -n "$bin" ] || { echo "postgres.sh: installed, yet no initdb found" >&2; exit 1; }
  fi
  [ ! -e "$data" ] || { echo "postgres.sh: $data exists already" >&2; exit 1; }
  [ "$(id -u)" != 0 ] || chown postgres: "$dir"
  as_owner test -w "$dir" || {
    echo "postgres.sh: the postgres user cannot write $dir (a parent closed to it?)" >&2
    exit 1
  }
  as_owner "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C --no-sync >/dev/null
  # Loopback only: no socket line, no other address.
  printf 'host all all 127.0.0.1/32 trust\n' >"$data/pg_hba.conf"
  # A port chosen at random is free when the server can bind it: another
  # one is tried when it cannot.
  for attempt in $(seq 20); do
    port=$((15000 + RANDOM % 17000))
    rm -f "$log"
    if as_owner "$bin/pg_ctl" start -w -t 120 -D "$data" -l "$log" \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 ${PG_SETTINGS:-}" >&2; then
      url="postgres://postgres@127.0.0.1:$port/postgres"
      echo "$url" >"$dir/url"
      echo "$url"
      exit 0
    fi
    if ! grep -qs 'could not bind\|Address already in use' "$log"; then
      break
    fi
    echo "postgres.sh: port $port is taken (attempt $attempt); another" >&2
  done
  echo "postgres.sh: the cluster did not start; its log:" >&2
  cat "$log" >&2 || true
  exit 1
  ;;
stop)
  # Nothing to stop: no cluster, or no PostgreSQL to have made one.
  if [ -z "$bin" ] || [ ! -f "$data/PG_VERSION" ]; then
    exit 0
  fi
  # pg_ctl status: 0 running, 3 not running.
  if as_owner "$bin/pg_ctl" status -D "$data" >/dev/null 2>&1; then
    as_owner "$bin/pg_ctl" stop -w -t 120 -m fast -D "$data" >&2
  fi
  ;;
*)
  usage
  ;;
esac
