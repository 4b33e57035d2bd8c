"""Checks what `helm template` rendered from deploy/helm/sandman against what running Sandman needs.

Usage: check_manifests.py RENDERED.yaml DRAIN_SECONDS
Every Deployment: liveness on /healthz and readiness on /readyz, resource requests and a memory limit,
terminationGracePeriodSeconds above the worker's drain, secrets only by reference, a PodDisruptionBudget
selecting its pods, and a Service for the API. Exits 1 with one line per problem.
"""
import sys
import yaml

rendered, drain = sys.argv[1], int(sys.argv[2])
docs = [d for d in yaml.safe_load_all(open(rendered)) if d]
problems = []
deployments = [d for d in docs if d["kind"] == "Deployment"]
pdbs = [d for d in docs if d["kind"] == "PodDisruptionBudget"]
services = [d for d in docs if d["kind"] == "Service"]
if sorted(d["metadata"]["name"].rsplit("-", 1)[1] for d in deployments) != ["api", "worker"]:
    problems.append("expected one worker and one api Deployment, got %s" % [d["metadata"]["name"] for d in deployments])
for d in deployments:
    name = d["metadata"]["name"]
    spec = d["spec"]["template"]["spec"]
    labels = d["spec"]["template"]["metadata"]["labels"]
    if d["spec"]["selector"]["matchLabels"].items() - labels.items():
        problems.append(f"{name}: selector does not match its pods")
    if spec.get("terminationGracePeriodSeconds", 30) <= drain:
        problems.append(f"{name}: terminationGracePeriodSeconds {spec.get('terminationGracePeriodSeconds', 30)} not above the {drain} s drain")
    for c in spec["containers"]:
        where = f"{name}/{c['name']}"
        if c.get("livenessProbe", {}).get("httpGet", {}).get("path") != "/healthz":
            problems.append(f"{where}: liveness probe is not GET /healthz")
        if c.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/readyz":
            problems.append(f"{where}: readiness probe is not GET /readyz")
        resources = c.get("resources", {})
        if not resources.get("requests", {}).get("cpu") or not resources.get("requests", {}).get("memory"):
            problems.append(f"{where}: no cpu and memory requests")
        if not resources.get("limits", {}).get("memory"):
            problems.append(f"{where}: no memory limit")
        for e in c.get("env", []):
            if any(s in e["name"] for s in ("KEY", "TOKEN", "SECRET", "PASSWORD")) and not e["name"].endswith("_PATH") and "value" in e:
                problems.append(f"{where}: {e['name']} given as a plain value (use the Secret)")
        if c["args"] not in (["worker"], ["serve"]):
            problems.append(f"{where}: args {c['args']}")
    if not any(p["spec"]["selector"]["matchLabels"].items() <= labels.items() for p in pdbs):
        problems.append(f"{name}: no PodDisruptionBudget selects its pods")
api = [d for d in deployments if d["metadata"]["name"].endswith("-api")]
if api and not any(s["spec"]["selector"].items() <= api[0]["spec"]["template"]["metadata"]["labels"].items() for s in services):
    problems.append("no Service selects the API's pods")
for line in problems:
    print("check_manifests: " + line)
print(f"check_manifests: {rendered}: {len(deployments)} deployments, {len(pdbs)} disruption budgets, {len(services)} services, "
      + ("OK" if not problems else f"{len(problems)} problems"))
sys.exit(1 if problems else 0)
