#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit, consumer, HTTP and whole-stack integration tests
# against real RabbitMQ and Azurite executables, which the tests start themselves).
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-prerequisites.sh --tests
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build Heads.sln -c Release --nologo -v quiet
# One test module at a time: several of them start a whole stack (RabbitMQ, Azurite, services), and on a 2-core
# machine running them side by side only makes each slower and flakier.
# The fault tests (Heads.Faults.Tests: a replica killed, the broker and storage restarted) take about 2 minutes of it.
dotnet test --solution Heads.sln -c Release --no-build --max-parallel-test-modules 1 "$@"
