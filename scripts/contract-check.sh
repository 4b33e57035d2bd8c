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
. scripts/lib/dev-up.sh
dev_up "$tport" "$hport" "$eport" contract-check-admin-token-0123
TEMPORAL_ADDRESS=127.0.0.1:$tport E2B_URL=http://127.0.0.1:$eport "$venv/bin/python" contract/python/check_contract.py
