#!/usr/bin/env bash
# Instructions (user space) per DescribeImages by ID, counted by valgrind's
# callgrind: the mock's, log off and on, and its floor's (bare.rs answering
# the mock's own body). Counts do not drift with the machine's load, as
# wrk's figures do; they leave out the kernel's work, which both share.
#
#   bash server/benches/load/callgrind.sh [REQUESTS] [FORMAT]
#
# REQUESTS (4000) over 4 connections, counted after 400 that warm up;
# FORMAT JSON (the default) or XML. SERVER=path/to/ecs-mock-server counts
# another build (a "before"). KEEP=dir keeps each callgrind output there
# (for `callgrind_annotate --inclusive=yes --tree=calling`).
set -euo pipefail
cd "$(dirname "$0")/../../.."
requests=${1:-4000}
format=${2:-JSON}
server_bin=${SERVER:-target/release/ecs-mock-server}
load=server/benches/load
work=$(mktemp -d)
trap 'kill "${pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

cargo build --release -p ecs-mock-server --bins --example bare
cargo build --release --features serde --example load_world
target/release/examples/load_world "$work/world.json" "$work/ids" 10000
path="/?Action=DescribeImages&Version=2014-05-26&Format=$format&AccessKeyId=alice"
path+="&RegionId=cn-beijing&Status=Creating,Waiting,Available&ImageId=$(head -n 1 "$work/ids")"
echo "server: $server_bin; $(date -u +%H:%M:%S) UTC; load $(cut -d' ' -f1-3 /proc/loadavg)"

# count LABEL PORT SIGNAL COMMAND...: COMMAND under callgrind, listening
# on PORT, stopped by SIGNAL.
count() {
  local label=$1 port=$2 signal=$3
  shift 3
  rm -f "$work/log" "$work"/callgrind.*
  valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.%p" "$@" 2>"$work/log" &
  pid=$!
  until grep -qs listening "$work/log"; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/log"; exit 1; }
    sleep 0.2
  done
  python3 $load/count.py "$port" "$path" 400 4
  callgrind_control --zero "$pid" >/dev/null
  python3 $load/count.py "$port" "$path" "$requests" 4
  callgrind_control --dump "$pid" >/dev/null
  kill -"$signal" "$pid"; wait "$pid" || true
  local total
  total=$(callgrind_annotate "$(ls "$work"/callgrind.*.* | head -n 1)" 2>/dev/null \
    | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
  echo "INSTRUCTIONS $label, $format: $((total / requests)) per request ($total for $requests)"
  if [[ -n ${KEEP:-} ]]; then
    mkdir -p "$KEEP"
    cp "$(ls "$work"/callgrind.*.* | head -n 1)" "$KEEP/callgrind.$format.${label//[^a-z]/_}"
  fi
}

mock() {
  cp "$work/world.json" "$work/state.json"
  rm -f "$work"/state.json.journal-*
  count "$1" 18183 INT "$server_bin" --listen 127.0.0.1:18183 --manual --state "$work/state.json" "${@:2}"
}

mock "the mock, --quiet" --quiet
mock "the mock, log on"
# The floor answers the mock's own body (its RequestId aside).
cp "$work/world.json" "$work/state.json"
rm -f "$work"/state.json.journal-*
"$server_bin" --listen 127.0.0.1:18183 --manual --state "$work/state.json" --quiet 2>"$work/log" &
pid=$!
until grep -qs listening "$work/log"; do sleep 0.1; done
curl -sf "http://127.0.0.1:18183$path" >"$work/body"
kill -INT "$pid"; wait "$pid" || true
# SIGTERM: the floor has no handler, and a background job ignores SIGINT.
count "the floor (bare.rs)" 18184 TERM target/release/examples/bare 127.0.0.1:18184 "$work/body"
