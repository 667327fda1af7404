#!/usr/bin/env bash
# Prints the PostgreSQL admin URL the tests should use, or nothing when no server is reachable.
# TEST_DATABASE_URL wins; otherwise the local server at 127.0.0.1:5432 (user postgres, trust auth).
set -uo pipefail
url=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
if command -v psql >/dev/null 2>&1; then
  psql "$url" -Atqc 'SELECT 1' >/dev/null 2>&1 && echo "$url"
else
  hostport=${url#*@}; hostport=${hostport%%/*}
  host=${hostport%%:*}; port=${hostport##*:}; [[ "$port" == "$hostport" ]] && port=5432
  (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null && echo "$url"
fi
exit 0
