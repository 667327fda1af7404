#!/usr/bin/env bash
# Fuzzes every operation of /openapi.json with Schemathesis against the release binary and fails on
# any 5xx: no request, however malformed, may crash the server or answer 500. Fixed seed, bounded
# examples, SQLite, a database of its own. Uses the virtualenv of scripts/test-sdk.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/sdk-venv
if [[ ! -x $venv/bin/st ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r sdk-tests/requirements.txt
fi

bin=${SEATKEEPER_BIN:-$PWD/target/release/seatkeeper}
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
db="sqlite://$dir/fuzz.db"
token=$("$bin" org create --name Fuzz --slug fuzz --json --database-url "$db" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
# No rate limit: the fuzzer must reach the public endpoints (the limit has tests of its own).
"$bin" serve --bind "127.0.0.1:$port" --database-url "$db" --test-clock --rate-limit 0 >"$dir/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$dir"' EXIT
python3 - "$port" <<'PY'
import sys, time, urllib.request
for _ in range(300):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/readyz", timeout=1)
        break
    except Exception:
        time.sleep(0.1)
PY

"$venv/bin/st" run "http://127.0.0.1:$port/openapi.json" \
  -H "Authorization: Bearer $token" \
  --checks not_a_server_error \
  --max-examples 30 --seed 20261122 --workers 2 --no-color

# The customer portal's operations again, with a portal session (the merchant's token above is
# refused there, so those runs only reached the 401 answers).
session=$(python3 - "$port" "$token" <<'PY'
import json, sys, urllib.request
base, token = f"http://127.0.0.1:{sys.argv[1]}", sys.argv[2]
def post(path, body):
    request = urllib.request.Request(
        base + path, data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)
customer = post("/v1/customers", {"email": "fuzz-portal@example.com"})
print(post("/v1/customer-sessions", {"customer_id": customer["id"]})["token"])
PY
)
"$venv/bin/st" run "http://127.0.0.1:$port/openapi.json" \
  -H "Authorization: Bearer $session" \
  --include-path-regex '^/v1/customer-portal/' \
  --checks not_a_server_error \
  --max-examples 30 --seed 20261122 --workers 2 --no-color
