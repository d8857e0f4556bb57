#!/usr/bin/env bash
# Loopback load test of the mock server with wrk (Debian package `wrk`).
# Every request answered must be a success: wrk prints "Non-2xx" otherwise.
#
#   bash server/benches/load/run.sh [COPIES] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../../.."
copies=${1:-800000}
seconds=${2:-10}
work=$(mktemp -d)
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

cargo build --release -p ecs-mock-server
cargo build --release --features serde --example load_world
target/release/examples/load_world "$work/world.json" "$work/ids" "$copies"

start() {
  target/release/ecs-mock-server --listen 127.0.0.1:18181 --manual \
    --state "$work/world.json" "$@" 2>"$work/server.log" &
  server=$!
  until grep -q listening "$work/server.log"; do
    kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; exit 1; }
    sleep 0.1
  done
}

for log in "" --quiet; do
  cp "$work/world.json" "$work/world.orig"
  start $log
  echo "== DescribeImages, log ${log:-on}"
  IMAGE=$(head -n 1 "$work/ids") wrk -t1 -c32 -d"${seconds}s" --latency \
    -s server/benches/load/describe.lua http://127.0.0.1:18181/
  echo "== CancelCopyImage (each on another queued copy), log ${log:-on}"
  IDS="$work/ids" wrk -t1 -c32 -d"${seconds}s" --latency \
    -s server/benches/load/cancel.lua http://127.0.0.1:18181/
  kill -INT "$server"; wait "$server" || true
  mv "$work/world.orig" "$work/world.json"
  rm -f "$work"/world.json.journal-*
done
