#!/usr/bin/env bash
# Runs the built image without a container engine: unpacks its layers (docker save / Jib tar format)
# into a root filesystem and runs the image's own entrypoint there with chroot (needs root).
#   deploy/image/verify-image.sh cli/target/jib-image.tar
# Checks: `--version` answers, and `dev` serves /healthz on loopback.
set -euo pipefail
image=${1:-cli/target/jib-image.tar}
work=$(mktemp -d)
dev=
cleanup() {
  [[ -n $dev ]] && { kill "$dev" 2>/dev/null; sleep 2; kill -9 "$dev" 2>/dev/null; } || true
  umount "$work/rootfs/proc" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/image" "$work/rootfs"
tar -xf "$image" -C "$work/image"
python3 - "$work/image" "$work/rootfs" > "$work/entrypoint" <<'PY'
import json, os, sys, tarfile
image, rootfs = sys.argv[1], sys.argv[2]
manifest = json.load(open(os.path.join(image, "manifest.json")))[0]
for layer in manifest["Layers"]:
    with tarfile.open(os.path.join(image, layer)) as t:  # gzip or plain
        t.extractall(rootfs)
config = json.load(open(os.path.join(image, manifest["Config"])))["config"]
print(json.dumps({"entrypoint": config.get("Entrypoint") or [], "env": config.get("Env") or [],
                  "workdir": config.get("WorkingDir") or "/"}))
PY
entry=$(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["entrypoint"]))' "$work/entrypoint")
envs=$(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["env"]))' "$work/entrypoint")
echo "entrypoint: $entry"
mkdir -p "$work/rootfs/proc" "$work/rootfs/tmp" && mount -t proc proc "$work/rootfs/proc"
run() { exec env -i $envs HOME=/tmp chroot "$work/rootfs" $entry "$@"; }
version=$(run --version)
echo "image --version: $version"
[[ $version == sandman* ]]
( run dev --temporal-port 17533 --http-port 18380 --e2b-port 13300 --idle-timeout PT5S ) > "$work/dev.log" 2>&1 &
dev=$!
for _ in $(seq 1 90); do curl -fsS http://127.0.0.1:18380/healthz >/dev/null 2>&1 && break; sleep 1; done
curl -fsS http://127.0.0.1:18380/healthz && echo && echo "image: dev mode healthy"
