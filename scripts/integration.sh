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
chromium=${SANDMAN_IT_CHROMIUM:-/usr/bin/chromium}
if [[ ! -x $chromium ]]; then
  echo "integration: installing Debian's chromium for the Temporal UI check"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || { echo "integration: could not install chromium"; exit 1; }
fi
ui=.tools/ui
if [[ ! -d $ui/node_modules/playwright-core ]] || ! cmp -s contract/ui/package.json $ui/package.json; then
  mkdir -p "$ui"
  cp contract/ui/package.json "$ui/"
  (cd "$ui" && npm install --silent --no-audit --no-fund)
fi
cp contract/ui/ui-check.mjs "$ui/"
SANDMAN_IT_TEMPORAL_BIN=$bin SANDMAN_IT_CHROMIUM=$chromium SANDMAN_IT_UI_CHECK=$root/$ui/ui-check.mjs \
  mvn -B -Pintegration -pl integration -am verify -Dtest='RealTemporalTest' -Dsurefire.failIfNoSpecifiedTests=false
