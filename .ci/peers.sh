#!/usr/bin/env bash
# Installs the Debian peers the test suite talks to (tinyproxy, nghttpd, nginx, microsocks).
# Idempotent: a package whose binary is already present is skipped. Starts nothing:
# the fixtures in tests/fixtures/peers.ts run each peer in the foreground with a
# generated config, and Debian's postinstall start of a service is suppressed here.
set -euo pipefail

declare -A binaries=(
  [tinyproxy]=tinyproxy
  [nghttp2-server]=nghttpd
  [nginx-light]=nginx
  [microsocks]=microsocks
)

missing=()
for pkg in "${!binaries[@]}"; do
  bin="${binaries[$pkg]}"
  if command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || [ -x "/usr/bin/$bin" ]; then
    echo "peers: $bin already installed ($pkg)"
  else
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "peers: nothing to install"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

# Keep services from being started by the packages' maintainer scripts (no init in
# containers anyway, but on a full machine invoke-rc.d would start nginx/tinyproxy/microsocks).
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod +x "$policy"
  created_policy=1
fi
cleanup() { if [ "$created_policy" = 1 ]; then $sudo rm -f "$policy"; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
echo "peers: installing ${missing[*]}"
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"

for pkg in "${missing[@]}"; do
  bin="${binaries[$pkg]}"
  command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || { echo "peers: $bin missing after install" >&2; exit 1; }
done
echo "peers: done"
