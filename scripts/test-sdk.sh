#!/usr/bin/env bash
# Runs the official Polar SDK (Python) against the release binary, on SQLite and, when reachable,
# PostgreSQL. Its packages live in a virtualenv under target/ (created once).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/sdk-venv
if [[ ! -x $venv/bin/python || sdk-tests/requirements.txt -nt $venv/.installed ]]; then
  echo "==> installing the Polar SDK test environment"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r sdk-tests/requirements.txt
  touch "$venv/.installed"
fi

url=$(scripts/postgres-url.sh)
if [[ -n "$url" ]]; then
  export TEST_DATABASE_URL=$url
elif [[ "${CI:-}" == "true" ]]; then
  echo "error: CI needs PostgreSQL for the SDK tests" >&2
  exit 1
else
  unset TEST_DATABASE_URL
  touch target/postgres-skipped
fi
export SEATKEEPER_BIN=${SEATKEEPER_BIN:-$PWD/target/release/seatkeeper}
"$venv/bin/python" -m pytest -q sdk-tests
