#!/usr/bin/env bash
# The Python package as a user gets it: build the wheel, install it into a
# fresh virtual environment with the official SDKs, and run the tests and
# examples that use only the fixtures and the SDKs. Then `cargo install`
# the server into a temporary root and ask the installed binary once.
#   bash server/python/ci.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
tools=target/py-tools venv=target/py-venv wheels=target/wheels
# The SDK pins are server/tests/sdk/run.sh's.
sdks="aliyun-python-sdk-core==2.16.1 aliyun-python-sdk-ecs==4.24.83
  alibabacloud-ecs20140526==7.11.8 alibabacloud-tea-openapi==0.4.6"

# PyPI can flake: three tries, as server/tests/sdk/run.sh makes.
pip_install() {
  local pip=$1; shift
  for attempt in 1 2 3; do
    "$pip" install --quiet --disable-pip-version-check "$@" && return 0
    [ "$attempt" = 3 ] || sleep 5
  done
  echo "cannot install from PyPI: $*" >&2
  return 1
}

if [ ! -x "$tools/bin/maturin" ]; then
  python3 -m venv "$tools"
  pip_install "$tools/bin/pip" maturin==1.16.0
fi
rm -rf "$wheels"
"$tools/bin/maturin" build --quiet --release --locked -m server/Cargo.toml --out "$wheels"
wheel=$(ls "$wheels"/ecs_mock_server-*.whl)

# A fresh environment each run, so that nothing but the wheel provides
# the package and the binary.
rm -rf "$venv"
python3 -m venv "$venv"
# shellcheck disable=SC2086 # the list is meant to split
pip_install "$venv/bin/pip" "$wheel" $sdks pytest==9.2.0
# From the repository's root, so that the source folder is not on sys.path:
# the tests check that the wheel's package and binary are the ones used.
PYTHONDONTWRITEBYTECODE=1 "$venv/bin/pytest" -p no:cacheprovider -q \
  server/python/tests server/python/examples

# `cargo install` as a user would, sharing the release build above.
root=$(mktemp -d)
log=$(mktemp)
trap 'kill "${server:-}" 2>/dev/null || true; rm -rf "$root" "$log"' EXIT
CARGO_TARGET_DIR=$PWD/target cargo install --quiet --locked --path server --root "$root"
"$root/bin/ecs-mock-server" --help >/dev/null
"$root/bin/ecs-mock-server" --listen 127.0.0.1:0 --quiet 2>"$log" &
server=$!
until grep -q '^listening on ' "$log"; do
  kill -0 "$server" 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.05
done
address=$(sed -n 's/^listening on //p' "$log")
python3 - "$address" <<'PY'
import json, sys, urllib.request
url = f"http://{sys.argv[1]}/?Action=DescribeRegions&Version=2014-05-26&Format=JSON&AccessKeyId=ci"
with urllib.request.urlopen(url) as answer:
    regions = json.load(answer)["Regions"]["Region"]
assert any(region["RegionId"] == "cn-hangzhou" for region in regions), regions
PY
echo "installed binary: 1 passed, 0 failed"
