#!/usr/bin/env bash
# The cross-language contract, proven with Temporal's Python SDK against `./sandman dev`.
# Installs the pinned SDK (contract/python/requirements.txt) into a venv under .tools/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
venv=.tools/py-contract
if [[ ! -x $venv/bin/python ]] || ! $venv/bin/python -c 'import temporalio' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r contract/python/requirements.txt
fi
tport=${CONTRACT_TEMPORAL_PORT:-17433} hport=${CONTRACT_HTTP_PORT:-18280} eport=${CONTRACT_E2B_PORT:-13200}
log=$(mktemp)
SANDMAN_ADMIN_TOKEN=contract-check-admin-token-0123 setsid ./sandman dev --temporal-port "$tport" --http-port "$hport" --e2b-port "$eport" >"$log" 2>&1 &
dev=$!
trap 'kill -- -$dev 2>/dev/null; sleep 1; kill -9 -- -$dev 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$hport/healthz" >/dev/null 2>&1 && break
  kill -0 "$dev" 2>/dev/null || { echo "dev mode exited:"; tail -20 "$log"; exit 1; }
  sleep 1
done
TEMPORAL_ADDRESS=127.0.0.1:$tport E2B_URL=http://127.0.0.1:$eport "$venv/bin/python" contract/python/check_contract.py
