#!/usr/bin/env bash
# Make a Docker engine available on this machine; safe to run repeatedly.
# The sandbox has no bridge networking or iptables, so the daemon runs with
# both disabled and every build/run must use --network host.
set -euo pipefail

log=${DOCKERD_LOG:-/tmp/dockerd.log}

if ! command -v docker >/dev/null 2>&1 || ! command -v dockerd >/dev/null 2>&1 \
   || ! command -v debootstrap >/dev/null 2>&1; then
    if [ "$(id -u)" != 0 ]; then
        echo "docker.sh: docker/debootstrap missing and not root; cannot install" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq docker.io debootstrap >/dev/null
fi

if docker info >/dev/null 2>&1; then
    exit 0
fi

if ! pgrep -x dockerd >/dev/null 2>&1; then
    nohup dockerd --bridge=none --iptables=false >"$log" 2>&1 &
fi

for _ in $(seq 60); do
    if docker info >/dev/null 2>&1; then
        exit 0
    fi
    sleep 1
done

tail -n 20 "$log" >&2 2>/dev/null || true
echo "docker.sh: Docker engine did not answer 'docker info' within 60 s (log: $log)" >&2
exit 1
