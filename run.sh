#!/usr/bin/env bash
# Installs what is missing, then starts the whole Heads stack (RabbitMQ, Azurite, four services, the Aspire dashboard).
# Dashboard: http://127.0.0.1:18888   Stop: Ctrl+C (or SIGTERM); no broker or storage process is left behind.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-prerequisites.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Release: the services train and generate heads in managed code, which Debug builds run several times slower.
exec dotnet run -c Release --project Heads.AppHost --launch-profile http -- "$@"
