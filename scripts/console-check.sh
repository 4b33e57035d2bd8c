#!/usr/bin/env bash
# The web console in a real browser: Debian's chromium driven by playwright-core (contract/ui/console-check.mjs)
# against `./sandman dev`. Screenshots go to target/console/, or to docs/ with SANDMAN_CONSOLE_SCREENSHOTS=docs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/lib/browser.sh
browser_up
tport=${CONSOLE_TEMPORAL_PORT:-17633} hport=${CONSOLE_HTTP_PORT:-18480} eport=${CONSOLE_E2B_PORT:-13400}
admin=console-check-admin-token-0123456789
export SANDMAN_APP_TOKEN=console-check-app-token-0123456789
. scripts/lib/dev-up.sh
dev_up "$tport" "$hport" "$eport" "$admin"
shots=target/console
[[ ${SANDMAN_CONSOLE_SCREENSHOTS:-} == docs ]] && shots=docs
mkdir -p "$shots"
node "$ui/console-check.mjs" "http://127.0.0.1:$hport" "$admin" "$SANDMAN_APP_TOKEN" "http://127.0.0.1:$eport" "$root/$shots" "$chromium"
