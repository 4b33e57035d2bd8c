#!/usr/bin/env bash
# Builds Temporal's server and its SQL schema tool from the Go module go.temporal.io/server, at the
# version the compose file pins (deploy/temporal/versions.env), through the Go module proxy, into
# .tools/temporal-server/<version>/. The schema files come from the same module (the module cache).
# Cached: a second run with the binaries present does nothing. Prints the install folder last.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=../deploy/temporal/versions.env
source "$ROOT/deploy/temporal/versions.env"
VERSION="v${TEMPORAL_SERVER_VERSION}"
DEST="$ROOT/.tools/temporal-server/$VERSION"
if [[ -x "$DEST/temporal-server" && -x "$DEST/temporal-sql-tool" && -d "$DEST/schema" ]]; then
  echo "$DEST"
  exit 0
fi
command -v go >/dev/null || { echo "install-temporal-server: Go is needed to build Temporal's server" >&2; exit 1; }
mkdir -p "$DEST"
echo "install-temporal-server: building go.temporal.io/server@$VERSION (server and sql tool) with $(go version | cut -d' ' -f3) (takes minutes the first time)" >&2
start=$(date +%s)
GOFLAGS="-buildvcs=false" GOBIN="$DEST/bin" go install \
  "go.temporal.io/server/cmd/server@$VERSION" "go.temporal.io/server/cmd/tools/sql@$VERSION" >&2
mv "$DEST/bin/server" "$DEST/temporal-server"
mv "$DEST/bin/sql" "$DEST/temporal-sql-tool"
rmdir "$DEST/bin"
MOD="$(go env GOMODCACHE)/go.temporal.io/server@$VERSION"
rm -rf "$DEST/schema" && cp -r "$MOD/schema" "$DEST/schema" && chmod -R u+w "$DEST/schema"
echo "install-temporal-server: built in $(( $(date +%s) - start )) s: $("$DEST/temporal-server" --version 2>/dev/null | head -1)" >&2
echo "$DEST"
