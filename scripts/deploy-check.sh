#!/usr/bin/env bash
# The deployment files, validated (not run: there is no Kubernetes or Prometheus server here):
#  1. deploy/observability: promtool (Debian's prometheus package) checks the alert rules and runs their unit tests;
#  2. deploy/helm/sandman: helm lint --strict, then helm template (Helm built from its Go module,
#     scripts/install-helm.sh) with the default values and with TLS and an API key, each rendering
#     checked by deploy/check/check_manifests.py (probes, resources, grace above the drain, PDBs, secrets).
# The dashboard's metric names are checked against what the processes really export by the cluster tier.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if ! command -v promtool >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus) >/dev/null
fi
promtool check rules deploy/observability/sandman-alerts.yml
(cd deploy/observability && promtool test rules sandman-alerts.test.yml)
python3 -c 'import json,sys; d=json.load(open("deploy/observability/sandman-dashboard.json")); print("dashboard:", len(d["panels"]), "panels")'

helm=$(scripts/install-helm.sh | tail -1)
venv=.tools/py-deploy
if [[ ! -x $venv/bin/python ]] || ! $venv/bin/python -c 'import yaml' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r deploy/check/requirements.txt
fi
drain=$(sed -n 's/.*DRAIN = Duration.ofSeconds(\([0-9]*\)).*/\1/p' worker/src/main/java/dev/sandman/worker/SandmanWorker.java)
[[ -n $drain ]] || { echo "deploy-check: cannot read SandmanWorker.DRAIN" >&2; exit 1; }
"$helm" lint --strict deploy/helm/sandman
out=$(mktemp -d)
"$helm" template sandman deploy/helm/sandman --kube-version 1.30.0 > "$out/default.yaml"
"$helm" template sandman deploy/helm/sandman --kube-version 1.30.0 --set temporal.tlsSecret=temporal-mtls --set temporal.apiKeySecret=temporal-cloud \
  --set env.SANDMAN_DEFAULT_IDLE_TIMEOUT=PT15M > "$out/tls.yaml"
"$venv/bin/python" deploy/check/check_manifests.py "$out/default.yaml" "$drain"
"$venv/bin/python" deploy/check/check_manifests.py "$out/tls.yaml" "$drain"
rm -rf "$out"
