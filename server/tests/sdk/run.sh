#!/usr/bin/env bash
# The official Python SDKs (classic V1 and Tea V3) against the mock server,
# then the real tools' call sequences replayed through the classic SDK.
#   bash server/tests/sdk/run.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
venv=${SDK_VENV:-target/sdk-venv}
packages="aliyun-python-sdk-core==2.16.1 aliyun-python-sdk-ecs==4.24.83
  alibabacloud-ecs20140526==7.11.8 alibabacloud-tea-openapi==0.4.6"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  for attempt in 1 2 3; do
    # shellcheck disable=SC2086 # the list is meant to split
    "$venv/bin/pip" install --quiet --disable-pip-version-check $packages && break
    [ "$attempt" = 3 ] && { echo "cannot install the SDKs from PyPI"; exit 1; }
    sleep 5
  done
fi
cargo build --quiet -p ecs-mock-server
log=$(mktemp)
# Two accounts, so that alice can share with bob; --manual, so that copies
# move only when a script says.
target/debug/ecs-mock-server --listen 127.0.0.1:0 --manual --auth \
  --key alice-key:alice-secret:alice --key bob-key:bob-secret:bob 2>"$log" &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -f "$log"' EXIT
until grep -q listening "$log"; do
  kill -0 "$server" 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.1
done
address=$(sed -n 's/^listening on //p' "$log")
"$venv/bin/python" server/tests/sdk/python_sdks.py "$address"
"$venv/bin/python" server/tests/sdk/tools.py "$address"
