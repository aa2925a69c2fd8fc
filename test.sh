#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit, consumer, HTTP and whole-stack integration tests
# against real RabbitMQ and Azurite executables, which the tests start themselves).
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-prerequisites.sh --tests
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build Heads.sln -c Release --nologo -v quiet
dotnet test --solution Heads.sln -c Release --no-build "$@"
