#!/usr/bin/env bash
# The last word of `make test`: says plainly whether the PostgreSQL tests ran.
cd "$(dirname "$0")/.."
if [[ -f target/postgres-skipped ]]; then
  printf '\n\033[1;33m%s\033[0m\n' "WARNING: PostgreSQL tests were SKIPPED (no server reachable). Set TEST_DATABASE_URL to run them."
else
  printf '\n\033[1;32m%s\033[0m\n' "All checks passed: lints, Rust tests on SQLite and PostgreSQL, browser tests on the release build."
fi
