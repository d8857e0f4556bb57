#!/usr/bin/env bash
# The PostgreSQL load test (issue 14): wrk on loopback, 32 connections,
# SECONDS (10) per run, printing for each run requests/s, p50 and p99 beside
# the UTC time and /proc/loadavg. Every answer must be a success: wrk
# prints "Non-2xx" otherwise.
#
#   bash server/benches/load/pg.sh [SECONDS]
#
# PG_URL=postgres://... runs against that database (its table `floor` is
# replaced); otherwise a cluster is started with server/tests/postgres.sh
# (PG_SETTINGS passes it server settings) and stopped at the end.
# ROWS (1000000) rows in the floor's table; POOL (16) connections in each
# server's pool; KINDS ("floor mock1 mock2") chooses and orders the runs:
#   floor  bare_pg.rs: one single-row UPDATE per request, the floor.
#   floor2 (not by default) the floor as two processes, wrk over both.
#   mock1  the mock server over PostgreSQL (--store), one replica:
#          DescribeImages by ID, then CancelCopyImage (a different queued
#          copy per request), on ROWS images in a database of their own.
#   mock2  the same with two replicas on two ports, one wrk of 16
#          connections on each, each cancelling its own half of the copies.
set -euo pipefail
cd "$(dirname "$0")/../../.."
seconds=${1:-10}
rows=${ROWS:-1000000}
pool=${POOL:-16}
kinds=${KINDS:-floor mock1 mock2}
load=server/benches/load
work=$(mktemp -d)
# Apart from $work: the cluster's owner, postgres, must enter it.
[ -n "${PG_URL:-}" ] || cluster=$(mktemp -d)
servers=()
# Only what the script started: its servers, then its cluster.
cleanup() {
  local pid
  for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -z "${PG_URL:-}" ]; then
    bash server/tests/postgres.sh stop "$cluster" >/dev/null 2>&1 || true
    rm -rf "$cluster"
  fi
  rm -rf "$work"
}
trap cleanup EXIT

psql_bin=$(command -v psql || ls -d /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -n 1)
sql() { PGOPTIONS="-c client_min_messages=warning" "$psql_bin" "$url" -X -q -v ON_ERROR_STOP=1 "$@"; }

cargo build --release -p ecs-mock-server --bins --example bare_pg --example load_pg

if [ -n "${PG_URL:-}" ]; then
  url=$PG_URL
else
  url=$(bash server/tests/postgres.sh start "$cluster" | tail -n 1)
fi
# The settings a figure depends on most: each commit waits for its fsync
# unless told otherwise.
echo "database: $url; PostgreSQL $(sql -At -c 'SHOW server_version');" \
  "fsync $(sql -At -c 'SHOW fsync'), synchronous_commit $(sql -At -c 'SHOW synchronous_commit')," \
  "shared_buffers $(sql -At -c 'SHOW shared_buffers')"

# The current UTC time and load, for the line beside each figure.
now() { echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), load $(cut -d' ' -f1-3 /proc/loadavg)"; }

# start_server LOG COMMAND...: COMMAND in the background, until its LOG
# says it listens.
start_server() {
  local log=$1
  shift
  "$@" 2>"$log" &
  servers+=("$!")
  until grep -qs listening "$log"; do
    kill -0 "$!" 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.1
  done
}

stop_servers() {
  local pid
  for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  servers=()
}

# Requests per second, p50 and p99 from wrk's output (standard input).
figures() {
  awk '/^Requests\/sec:/ { rps = $2 } $1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 }
       END { printf "%s requests/s, p50 %s, p99 %s", rps, p50, p99 }'
}

# measure LABEL SCRIPT URL: one wrk run, 32 connections; the environment
# (ROWS, IDS...) is the script's.
measure() {
  local label=$1 script=$2 target=$3 before
  before=$(now)
  echo "== $label: wrk -t1 -c32 -d${seconds}s --latency -s $script $target"
  wrk -t1 -c32 -d"${seconds}s" --latency -s "$script" "$target" | tee "$work/wrk.out"
  echo "RESULT $label: $(figures <"$work/wrk.out"); started $before; ended $(now)"
}

# measure_two LABEL SCRIPT URL1 URL2: two wrk at once, 16 connections each,
# one per replica. Requests/s add up; the p50 and p99 of the whole lie
# between the two runs' own (a quantile of a mixture lies between its
# parts'), so both are printed.
measure_two() {
  local label=$1 script=$2 first=$3 second=$4 before
  before=$(now)
  echo "== $label: two wrk -t1 -c16 -d${seconds}s --latency -s $script, on $first and $second"
  wrk -t1 -c16 -d"${seconds}s" --latency -s "$script" "$first" >"$work/wrk1.out" &
  local one=$!
  wrk -t1 -c16 -d"${seconds}s" --latency -s "$script" "$second" >"$work/wrk2.out"
  wait "$one"
  cat "$work/wrk1.out" "$work/wrk2.out"
  local total
  total=$(cat "$work/wrk1.out" "$work/wrk2.out" | awk '/^Requests\/sec:/ { sum += $2 } END { print sum }')
  echo "RESULT $label: $total requests/s in all; replica 1: $(figures <"$work/wrk1.out");" \
    "replica 2: $(figures <"$work/wrk2.out"); started $before; ended $(now)"
}

# The floor's table: ROWS rows, vacuumed, checkpointed.
fill_floor() {
  echo "== filling floor with $rows rows ($(now))"
  sql -c "DROP TABLE IF EXISTS floor" \
    -c "CREATE TABLE floor (id bigint PRIMARY KEY, n bigint NOT NULL)" \
    -c "INSERT INTO floor SELECT id, 0 FROM generate_series(1, $rows) AS id" \
    -c "VACUUM ANALYZE floor"
  # Superuser only: on a cluster of someone else's, the run starts without.
  sql -c "CHECKPOINT" 2>/dev/null || true
}

# The floor: bare_pg.rs, one single-row UPDATE per request on a table of
# ROWS rows, through the same client library and pool as the store.
run_floor() {
  fill_floor
  start_server "$work/bare_pg.log" target/release/examples/bare_pg 127.0.0.1:18183 "$url" --pool "$pool"
  ROWS=$rows measure "floor (bare_pg, pool $pool, $rows rows)" $load/pg.lua http://127.0.0.1:18183/
  stop_servers
  # Every answered request updated a row; those in flight at the end too.
  echo "updates counted in the table: $(sql -At -c 'SELECT sum(n) FROM floor')" \
    "(at least the requests wrk counted)"
}

# The floor as two processes on two ports sharing the table, each with its
# own pool, wrk spread over both: the floor beside two replicas.
run_floor2() {
  fill_floor
  start_server "$work/bare_pg1.log" target/release/examples/bare_pg 127.0.0.1:18183 "$url" --pool "$pool"
  start_server "$work/bare_pg2.log" target/release/examples/bare_pg 127.0.0.1:18184 "$url" --pool "$pool"
  ROWS=$rows measure_two "floor, two processes (bare_pg, pool $pool each, $rows rows)" $load/pg.lua \
    http://127.0.0.1:18183/ http://127.0.0.1:18184/
  stop_servers
  echo "updates counted in the table: $(sql -At -c 'SELECT sum(n) FROM floor')" \
    "(at least the requests wrk counted)"
}

# The mock's database: alice's copies into Beijing, the region's limit of
# them running, the rest queued (ROWS in all), in a database of its own;
# the queued copies' IDs in $work/ids, and each half in ids.1 and ids.2.
fill_mock() {
  echo "== filling the mock's database with $rows copies ($(now))"
  sql -c "DROP DATABASE IF EXISTS ecs_load" -c "CREATE DATABASE ecs_load"
  mock_url=$(with_database "$url" ecs_load)
  target/release/examples/load_pg "$mock_url" "$rows" "$work/ids"
  local half=$(( $(wc -l <"$work/ids") / 2 ))
  head -n "$half" "$work/ids" >"$work/ids.1"
  tail -n +"$(( half + 1 ))" "$work/ids" >"$work/ids.2"
  image=$(head -n 1 "$work/ids")
  PGOPTIONS="-c client_min_messages=warning" "$psql_bin" "$mock_url" -X -q -c "CHECKPOINT" 2>/dev/null || true
}

# The URL of database NAME on the cluster of URL.
with_database() {
  echo "${1%/*}/$2"
}

# start_mock PORT: a replica of the mock on the mock's database.
start_mock() {
  start_server "$work/mock$1.log" target/release/ecs-mock-server --listen "127.0.0.1:$1" \
    --store "$mock_url" --connections "$pool" --manual --quiet
}

# The mock server over PostgreSQL, one replica: DescribeImages of one
# queued copy by ID, then CancelCopyImage of a different queued copy per
# request.
run_mock1() {
  fill_mock
  start_mock 18184
  IMAGE=$image measure "DescribeImages by ID, one replica, $rows images" \
    $load/describe.lua http://127.0.0.1:18184/
  IDS="$work/ids" measure "CancelCopyImage, one replica, $rows images" \
    $load/cancel.lua http://127.0.0.1:18184/
  stop_servers
}

# Two replicas on two ports sharing the database, each wrk on one, each
# cancelling its own half of the copies.
run_mock2() {
  fill_mock
  start_mock 18184
  start_mock 18185
  IMAGE=$image measure_two "DescribeImages by ID, two replicas, $rows images" \
    $load/describe.lua http://127.0.0.1:18184/ http://127.0.0.1:18185/
  IDS="$work/ids.1" wrk -t1 -c16 -d"${seconds}s" --latency -s $load/cancel.lua \
    http://127.0.0.1:18184/ >"$work/wrk1.out" &
  local one=$! before
  before=$(now)
  echo "== CancelCopyImage, two replicas: two wrk -t1 -c16 -d${seconds}s, each its own half of the copies"
  IDS="$work/ids.2" wrk -t1 -c16 -d"${seconds}s" --latency -s $load/cancel.lua \
    http://127.0.0.1:18185/ >"$work/wrk2.out"
  wait "$one"
  cat "$work/wrk1.out" "$work/wrk2.out"
  local total
  total=$(cat "$work/wrk1.out" "$work/wrk2.out" | awk '/^Requests\/sec:/ { sum += $2 } END { print sum }')
  echo "RESULT CancelCopyImage, two replicas, $rows images: $total requests/s in all;" \
    "replica 1: $(figures <"$work/wrk1.out"); replica 2: $(figures <"$work/wrk2.out");" \
    "started $before; ended $(now)"
  stop_servers
}

echo "command: bash server/benches/load/pg.sh $*; ROWS=$rows POOL=$pool KINDS=\"$kinds\"; $(now)"
for kind in $kinds; do
  "run_$kind"
done
