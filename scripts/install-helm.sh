#!/usr/bin/env bash
# Builds Helm from its Go module (helm.sh/helm/v3), pinned, through the Go module proxy, into .tools/helm/,
# to lint and render deploy/helm/sandman in CI (scripts/deploy-check.sh). Cached. Prints the binary's path last.
set -euo pipefail
VERSION="${HELM_VERSION:-v3.22.0}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="$ROOT/.tools/helm/$VERSION/helm"
if [[ -x "$BIN" ]]; then
  echo "$BIN"
  exit 0
fi
command -v go >/dev/null || { echo "install-helm: Go is needed to build Helm" >&2; exit 1; }
mkdir -p "$(dirname "$BIN")"
echo "install-helm: building helm.sh/helm/v3/cmd/helm@$VERSION (takes minutes the first time)" >&2
start=$(date +%s)
GOBIN="$(dirname "$BIN")" GOFLAGS="-buildvcs=false" go install "helm.sh/helm/v3/cmd/helm@$VERSION" >&2
echo "install-helm: built in $(( $(date +%s) - start )) s: $("$BIN" version --short)" >&2
echo "$BIN"
