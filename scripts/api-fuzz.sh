#!/usr/bin/env bash
# Property-based fuzzing of the HTTP API from its own /openapi.json with schemathesis (PyPI, pinned in
# contract/fuzz/requirements.txt) against `./sandman dev`: no request may get a 5xx, and every answer
# must match the documented schema. Installs into a venv under .tools/ (cached). The coverage phase is
# left out: schemathesis 4.32.5 crashes in it (hypothesis "AST constructor recursion depth mismatch"). The event
# streams are left out too (a stream never ends; the Java and TypeScript tests cover them).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
venv=.tools/py-fuzz
if [[ ! -x $venv/bin/schemathesis ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r contract/fuzz/requirements.txt
fi
tport=${FUZZ_TEMPORAL_PORT:-17533} hport=${FUZZ_HTTP_PORT:-18380} eport=${FUZZ_E2B_PORT:-13300}
token=api-fuzz-admin-token-0123456789
. scripts/lib/dev-up.sh
dev_up "$tport" "$hport" "$eport" "$token"
"$venv/bin/schemathesis" run "http://127.0.0.1:$hport/openapi.json" \
  -H "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --phases examples,fuzzing,stateful \
  --exclude-path-regex '/events$' \
  --max-examples "${FUZZ_EXAMPLES:-40}" --seed 20261129 --request-timeout 30 --workers 2
