#!/usr/bin/env bash
# Installs what Heads needs on a fresh Debian 12 machine, skipping what is already there. Idempotent.
#   scripts/install-prerequisites.sh          run-time needs: .NET check, rabbitmq-server, Azurite
#   scripts/install-prerequisites.sh --tests  also what the tests use: python3-open3d and assimp-utils (independent PLY,
#                                             OBJ and glTF readers), python3-torch (the PyTorch round trip), chromium
#   scripts/install-prerequisites.sh --bench  also what the benchmarks use: hey (the HTTP load tool of the `load` suite)
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=false
want_bench=false
for arg in "$@"; do
  case "$arg" in
    --tests) want_tests=true ;;
    --bench) want_bench=true ;;
  esac
done

say() { echo "[install] $*"; }
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v dotnet >/dev/null 2>&1; then
  echo "The .NET SDK 10 is required (https://dot.net); install it and run this again." >&2
  exit 1
fi

apt_packages=()
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || apt_packages+=(rabbitmq-server)
command -v node >/dev/null 2>&1 || apt_packages+=(nodejs npm)
if $want_tests; then
  [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import open3d' >/dev/null 2>&1 || apt_packages+=(python3-open3d)
  command -v chromium >/dev/null 2>&1 || apt_packages+=(chromium)
  command -v assimp >/dev/null 2>&1 || apt_packages+=(assimp-utils)
  [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import torch' >/dev/null 2>&1 || apt_packages+=(python3-torch)
fi
if $want_bench; then
  command -v hey >/dev/null 2>&1 || apt_packages+=(hey)
fi
if [ ${#apt_packages[@]} -gt 0 ]; then
  say "apt-get install ${apt_packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  sudo_if_needed apt-get update -qq
  # policy-rc.d keeps Debian from starting a system-wide RabbitMQ: the AppHost runs its own.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | sudo_if_needed tee /usr/sbin/policy-rc.d >/dev/null
    sudo_if_needed chmod +x /usr/sbin/policy-rc.d
    remove_policy=true
  fi
  sudo_if_needed apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
  [ "${remove_policy:-false}" = true ] && sudo_if_needed rm -f /usr/sbin/policy-rc.d
fi
# A system-wide broker from the package would hold port 5672 and an epmd: stop it if the package started one.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet rabbitmq-server 2>/dev/null; then
  sudo_if_needed systemctl disable --now rabbitmq-server >/dev/null 2>&1 || true
fi

azurite=.tools/azurite/node_modules/.bin/azurite-blob
# Exactly the versions in .tools/azurite/package-lock.json (tracked): npm ci installs them, with their integrity hashes,
# and again whenever the lockfile changes.
if [ ! -x "$azurite" ] || ! cmp -s .tools/azurite/package-lock.json .tools/azurite/node_modules/.installed-lock.json; then
  say "npm ci: azurite from .tools/azurite/package-lock.json"
  (cd .tools/azurite && npm ci --no-audit --no-fund --loglevel=error >/dev/null && cp package-lock.json node_modules/.installed-lock.json)
fi
say "ready: dotnet $(dotnet --version), rabbitmq-server, azurite $(node $azurite --version 2>/dev/null || echo '?')"
