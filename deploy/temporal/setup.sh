#!/bin/sh
# Creates the namespace and registers Sandman's search attributes (search-attributes.txt beside this
# file), with Temporal's CLI. Run by the compose file (admin-tools image) and by the cluster tier.
# Needs temporal on PATH and TEMPORAL_ADDRESS; TEMPORAL_NAMESPACE defaults to "default".
set -eu
here=$(cd "$(dirname "$0")" && pwd)
ns=${TEMPORAL_NAMESPACE:-default}
temporal operator namespace describe --namespace "$ns" >/dev/null 2>&1 \
  || temporal operator namespace create --namespace "$ns" --retention 30d
grep -v '^#' "$here/search-attributes.txt" | while read -r name type; do
  [ -n "$name" ] || continue
  temporal operator search-attribute list --namespace "$ns" | grep -qw "$name" \
    || temporal operator search-attribute create --namespace "$ns" --name "$name" --type "$type"
done
