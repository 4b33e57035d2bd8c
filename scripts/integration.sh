#!/usr/bin/env bash
# The second test tier: Sandman against the real Temporal server and its UI.
#  1. builds Temporal's CLI (the real server, SQLite, the UI) from its Go module (scripts/install-temporal.sh, cached);
#  2. installs Debian's chromium (apt-get, root) and playwright-core (npm, contract/ui/) for the UI check;
#  3. runs the integration module (-Pintegration): it starts/restarts the server itself on loopback.
# The main suite does not depend on any of this.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin=$(scripts/install-temporal.sh | tail -1)
. scripts/lib/browser.sh
browser_up
SANDMAN_IT_TEMPORAL_BIN=$bin SANDMAN_IT_CHROMIUM=$chromium SANDMAN_IT_UI_CHECK=$root/$ui/ui-check.mjs \
  mvn -B -Pintegration -pl integration -am verify -Dtest='RealTemporalTest' -Dsurefire.failIfNoSpecifiedTests=false
