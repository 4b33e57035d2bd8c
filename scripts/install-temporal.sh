#!/usr/bin/env bash
# Builds Temporal's own CLI (the real server behind `temporal server start-dev`, with SQLite and the
# Temporal UI) from its Go module, pinned, through the Go module proxy, into .tools/temporal/.
# v1.5.1 is the newest that `go install` accepts: v1.9.1 replaces its cliext module with a local
# directory, which go install refuses, and the proxy serves no cliext module on its own.
# Cached: a second run with the binary present does nothing. Prints the binary's path last.
set -euo pipefail
VERSION="${TEMPORAL_CLI_VERSION:-v1.5.1}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/.tools/temporal/$VERSION"
BIN="$DEST/temporal"
if [[ -x "$BIN" ]]; then
  echo "$BIN"
  exit 0
fi
command -v go >/dev/null || { echo "install-temporal: Go is needed to build the Temporal CLI" >&2; exit 1; }
mkdir -p "$DEST"
echo "install-temporal: building github.com/temporalio/cli/cmd/temporal@$VERSION with $(go version | cut -d' ' -f3) (takes minutes the first time)" >&2
start=$(date +%s)
GOBIN="$DEST" GOFLAGS="-buildvcs=false" go install "github.com/temporalio/cli/cmd/temporal@$VERSION" >&2
echo "install-temporal: built in $(( $(date +%s) - start )) s: $("$BIN" --version)" >&2
echo "$BIN"
