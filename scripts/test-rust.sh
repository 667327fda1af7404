#!/usr/bin/env bash
# Runs every Rust test. PostgreSQL tests (named `…::postgres`) run when a server is reachable
# (TEST_DATABASE_URL or 127.0.0.1:5432); otherwise they are skipped and the skip is reported loudly
# at the end of `make test`. On CI (CI=true) a missing PostgreSQL is an error, never a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target

url=$(scripts/postgres-url.sh)
if [[ -n "$url" ]]; then
  export TEST_DATABASE_URL=$url
  scripts/clean-test-databases.sh
  cargo test --all-targets
else
  if [[ "${CI:-}" == "true" ]]; then
    echo "error: CI needs PostgreSQL for the PostgreSQL tests, and none is reachable (TEST_DATABASE_URL or 127.0.0.1:5432)" >&2
    exit 1
  fi
  echo "!!! No PostgreSQL reachable: running the SQLite tests only (PostgreSQL tests SKIPPED)" >&2
  touch target/postgres-skipped
  cargo test --all-targets -- --skip ::postgres
fi
