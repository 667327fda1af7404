#!/usr/bin/env bash
# Drops the sk_test_* databases that interrupted test runs leave behind.
set -uo pipefail
url=$("$(dirname "$0")/postgres-url.sh")
[[ -n "$url" ]] && command -v psql >/dev/null 2>&1 || exit 0
psql "$url" -Atqc "SELECT datname FROM pg_database WHERE datname LIKE 'sk\_test\_%'" 2>/dev/null |
  while read -r name; do
    psql "$url" -qc "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" >/dev/null 2>&1 || true
  done
