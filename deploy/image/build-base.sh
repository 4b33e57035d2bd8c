#!/usr/bin/env bash
# Builds the container base image for Sandman (Debian bookworm + OpenJDK 17 JRE, from Debian's
# packages) as a `docker save` tarball, without a Docker daemon or a container registry, so Jib can
# build the Sandman image on a machine that reaches only package registries:
#
#   sudo deploy/image/build-base.sh                      # -> .tools/image/base.tar (needs root: debootstrap)
#   mvn -B -pl cli jib:buildTar -Djib.from.image=tar://$PWD/.tools/image/base.tar   # -> cli/target/jib-image.tar
#
# Where Docker Hub is reachable, skip this: the pom's default base is eclipse-temurin.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/.tools/image
rootfs=$out/rootfs
mkdir -p "$out"
if [[ ! -x $rootfs/usr/bin/java ]]; then
  rm -rf "$rootfs"
  debootstrap --variant=minbase --include=openjdk-17-jre-headless,ca-certificates bookworm "$rootfs" http://deb.debian.org/debian
  chroot "$rootfs" apt-get clean
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/*
fi
python3 "$root/deploy/image/rootfs-to-image.py" "$rootfs" "$out/base.tar" "sandman-base:bookworm-jre17"
echo "base image: $out/base.tar"
