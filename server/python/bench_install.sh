#!/usr/bin/env bash
# From a fresh virtual environment to a passing pytest example: the wheel
# built before (target/wheels), an SDK and pytest from a local wheelhouse
# (target/wheelhouse, made once with `pip wheel`), so that no index is asked
# and nothing is built. One run, with plain `pip install` (bytecode compiled):
#   bash server/python/bench_install.sh classic    # + the classic SDK, its example
#   bash server/python/bench_install.sh tea        # + the Tea SDK, its example
#   bash server/python/bench_install.sh venv-only  # the venv alone (the floor)
# PIP_NO_COMPILE=1 in the environment skips pip's bytecode compilation.
# Prints the time from the fresh venv to the passing example; timed from
# outside too: see docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
wheelhouse=target/wheelhouse
classic="aliyun-python-sdk-core==2.16.1 aliyun-python-sdk-ecs==4.24.83"
tea="alibabacloud-ecs20140526==7.11.8 alibabacloud-tea-openapi==0.4.6"
if [ ! -d "$wheelhouse" ]; then
  # shellcheck disable=SC2086 # the lists are meant to split
  python3 -m pip wheel --quiet --disable-pip-version-check -w "$wheelhouse" \
    $classic $tea pytest==9.2.0
fi
venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
case ${1:?classic, tea or venv-only} in
  venv-only) exit 0 ;;
  classic) sdk=$classic example=test_classic_sdk.py::test_a_copy_from_creating_to_available ;;
  tea) sdk=$tea example=test_tea_sdk.py::test_v3_signatures_are_checked ;;
  *) echo "classic, tea or venv-only" >&2; exit 2 ;;
esac
began=$(date +%s%N)
# shellcheck disable=SC2086
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-index \
  --find-links "$wheelhouse" target/wheels/ecs_mock_server-*.whl $sdk pytest==9.2.0
PYTHONDONTWRITEBYTECODE=1 "$venv/bin/pytest" -p no:cacheprovider -q \
  "server/python/examples/$example"
echo "install and pytest: $(( ($(date +%s%N) - began) / 1000000 )) ms (the venv before it not counted)"
