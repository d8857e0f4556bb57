#!/usr/bin/env bash
# Loopback load test of the mock server with wrk (Debian package `wrk`)
# and python3. Every request answered must be a success: wrk prints
# "Non-2xx" otherwise.
#
#   bash server/benches/load/run.sh [COPIES] [SECONDS] [LISTED]
#
# SERVER=path/to/ecs-mock-server measures another build (a "before");
# SECTIONS="1 2 3" (the default) chooses the sections below; ROUNDS (3)
# how many times section 1 alternates the mock and its floor.
# Sections, each printing the figures docs/performance.md records:
# 1. DescribeImages by ID and CancelCopyImage on a world of COPIES queued
#    copies, log on and off; DescribeImages by ID against the floor, a bare
#    hyper server answering the same request with the same body (bare.rs),
#    in the same run.
# 2. DescribeImages, first page, of an account holding LISTED images, at
#    256 connections.
# 3. A normal request while 5,000 idle connections are held, and while
#    1,100 are held against a server limited to 1,024 descriptors.
# 4. CancelCopyImage, 32 connections, journal on, compacting every
#    COMPACT_EVERY (100,000) changes, on a world of COPIES queued copies:
#    its latency through the compactions, beside the bare server's.
set -euo pipefail
cd "$(dirname "$0")/../../.."
copies=${1:-800000}
seconds=${2:-10}
listed=${3:-300000}
server_bin=${SERVER:-target/release/ecs-mock-server}
sections=" ${SECTIONS:-1 2 3 4} "
compact_every=${COMPACT_EVERY:-100000}
rounds=${ROUNDS:-3}
load=server/benches/load
work=$(mktemp -d)
# Only the processes the script started: `kill 0` would be the whole group.
trap 'for pid in ${server:-} ${bare:-} ${idle:-}; do kill "$pid" 2>/dev/null || true; done
      rm -rf "$work"' EXIT

cargo build --release -p ecs-mock-server --bins --example bare
cargo build --release --features serde --example load_world
target/release/examples/load_world "$work/world.json" "$work/ids" "$copies"
target/release/examples/load_world "$work/listed.json" "$work/listed.ids" "$listed"
echo "server: $server_bin; $(date -u +%H:%M:%S) UTC; load $(cut -d' ' -f1-3 /proc/loadavg)"

# start STATE [OPTIONS...]: the server on 127.0.0.1:18181.
start() {
  local state=$1
  shift
  # The previous server's log says "listening" too.
  rm -f "$work/server.log"
  "$server_bin" --listen 127.0.0.1:18181 --manual --state "$state" "$@" 2>"$work/server.log" &
  server=$!
  until grep -qs listening "$work/server.log"; do
    kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; exit 1; }
    sleep 0.1
  done
}

stop() {
  kill -INT "$server"; wait "$server" || true
}

# The requests per second wrk's output (on standard input) reports.
rps() { awk '/^Requests\/sec:/ { print $2 }'; }

describe_url="http://127.0.0.1:18181/?Action=DescribeImages&Version=2014-05-26&Format=JSON"
describe_url+="&AccessKeyId=alice&RegionId=cn-beijing&Status=Creating,Waiting,Available"
describe_url+="&ImageId=$(head -n 1 "$work/ids")"

cp "$work/world.json" "$work/world.pristine"
if [[ $sections == *" 1 "* ]]; then
# The floor: the mock's own answer, served by the bare server.
cp "$work/world.json" "$work/world.orig"
start "$work/world.json" --quiet
curl -sf "$describe_url" >"$work/body"
stop
mv "$work/world.orig" "$work/world.json"
rm -f "$work"/world.json.journal-*
target/release/examples/bare 127.0.0.1:18182 "$work/body" 2>"$work/bare.log" &
bare=$!
until grep -qs listening "$work/bare.log"; do sleep 0.1; done

for log in "" --quiet; do
  cp "$work/world.json" "$work/world.orig"
  start "$work/world.json" $log
  # The machine's speed drifts from one run to the next (other guests share
  # it): the mock and the floor alternate, ROUNDS times, and the ratio is
  # of their sums.
  mock=0 floor=0
  for round in $(seq "$rounds"); do
    echo "== DescribeImages by ID, log ${log:-on}, round $round"
    IMAGE=$(head -n 1 "$work/ids") wrk -t1 -c32 -d"${seconds}s" --latency \
      -s $load/describe.lua http://127.0.0.1:18181/ | tee "$work/mock.out"
    echo "== the floor: the bare server, same request, same body, same connections, round $round"
    IMAGE=$(head -n 1 "$work/ids") wrk -t1 -c32 -d"${seconds}s" --latency \
      -s $load/describe.lua http://127.0.0.1:18182/ | tee "$work/bare.out"
    echo "ROUND $round: $(rps <"$work/mock.out") / $(rps <"$work/bare.out")"
    mock=$(awk -v sum="$mock" -v add="$(rps <"$work/mock.out")" 'BEGIN { print sum + add }')
    floor=$(awk -v sum="$floor" -v add="$(rps <"$work/bare.out")" 'BEGIN { print sum + add }')
  done
  echo "RATIO DescribeImages by ID, log ${log:-on}, $rounds rounds: $mock / $floor =" \
    "$(awk -v m="$mock" -v f="$floor" 'BEGIN { printf "%.2fx", m / f }') of the floor"
  echo "== CancelCopyImage (each on another queued copy), log ${log:-on}"
  IDS="$work/ids" wrk -t1 -c32 -d"${seconds}s" --latency \
    -s $load/cancel.lua http://127.0.0.1:18181/
  stop
  mv "$work/world.orig" "$work/world.json"
  rm -f "$work"/world.json.journal-*
done
kill "$bare"
fi

if [[ $sections == *" 2 "* ]]; then
echo "== DescribeImages, first page, of an account holding $listed images, 256 connections"
start "$work/listed.json" --quiet
list_url="http://127.0.0.1:18181/?Action=DescribeImages&Version=2014-05-26&Format=JSON"
list_url+="&AccessKeyId=alice&RegionId=cn-beijing&Status=Creating,Waiting"
curl -sf "$list_url" >"$work/page"
wrk -t1 -c256 -d"${seconds}s" --latency -s $load/list.lua http://127.0.0.1:18181/ \
  | tee "$work/mock.out"
stop
# At 256 connections the latency is at least 256 / (requests/s) on
# average (Little's law): the floor's own latency is the bound to compare.
echo "== the floor: the bare server, the same page, 256 connections"
rm -f "$work/bare.log"
target/release/examples/bare 127.0.0.1:18182 "$work/page" 2>"$work/bare.log" &
bare=$!
until grep -qs listening "$work/bare.log"; do sleep 0.1; done
wrk -t1 -c256 -d"${seconds}s" --latency -s $load/list.lua http://127.0.0.1:18182/ \
  | tee "$work/bare.out"
kill "$bare"
echo "RATIO first page at 256 connections: $(rps <"$work/mock.out") / $(rps <"$work/bare.out")"
fi

# time_request LABEL: one DescribeImages by ID, timed by curl.
time_request() {
  local took
  took=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 60 "$describe_url" || true)
  echo "NORMAL REQUEST $1: status and seconds: $took"
}

# hold COUNT: idle connections, held until `release`.
hold() {
  rm -f "$work/idle.log"
  python3 $load/idle.py 127.0.0.1 18181 "$1" >"$work/idle.log" &
  idle=$!
  until grep -qs held "$work/idle.log"; do
    kill -0 "$idle" 2>/dev/null || { cat "$work/idle.log"; exit 1; }
    sleep 0.1
  done
  cat "$work/idle.log"
}

release() {
  kill "$idle"; wait "$idle" 2>/dev/null || true
}

if [[ $sections == *" 3 "* ]]; then
# A server's state after it stopped has a journal: each start below takes
# a fresh copy of the world as load_world wrote it.
fresh() { rm -f "$work"/idle.json*; cp "$work/world.pristine" "$work/idle.json"; }

echo "== a normal request among 5,000 idle connections"
fresh
(ulimit -Sn "$(ulimit -Hn)"; start "$work/idle.json" --quiet; hold 5000
 time_request "among 5,000 idle connections"; release; stop)

echo "== a normal request among 1,100 idle connections, 1,024 descriptors"
fresh
(ulimit -Sn 1024; start "$work/idle.json" --quiet; ulimit -Sn "$(ulimit -Hn)"
 hold 1100; time_request "among 1,100 idle connections, limit 1,024"
 echo "the server holds $(ls /proc/"$server"/fd | wc -l) descriptors;" \
   "$(grep 'open files' /proc/"$server"/limits)"
 kill -0 "$server" 2>/dev/null && echo "the server is running" || echo "THE SERVER EXITED"
 release; stop; tail -n 3 "$work/server.log")
fi

if [[ $sections == *" 4 "* ]]; then
echo "== CancelCopyImage through compactions (every $compact_every changes), $copies copies"
rm -f "$work"/world.json.journal-*
cp "$work/world.pristine" "$work/world.json"
start "$work/world.json" --quiet --compact-every "$compact_every"
IDS="$work/ids" wrk -t1 -c32 -d"${seconds}s" --latency \
  -s $load/cancel.lua http://127.0.0.1:18181/
# Counted before the stop, which compacts once more.
echo "compactions during the run: $(grep -c "compaction to generation" "$work/server.log" || true)"
grep 'compaction to generation' "$work/server.log" | tail -n 5
stop
echo "== the floor: the bare server, 32 connections, the same client script"
printf '{"RequestId":"0"}' >"$work/small"
rm -f "$work/bare.log"
target/release/examples/bare 127.0.0.1:18182 "$work/small" 2>"$work/bare.log" &
bare=$!
until grep -qs listening "$work/bare.log"; do sleep 0.1; done
IDS="$work/ids" wrk -t1 -c32 -d"${seconds}s" --latency \
  -s $load/cancel.lua http://127.0.0.1:18182/
kill "$bare"
fi
