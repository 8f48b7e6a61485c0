#!/usr/bin/env bash
# Runs the real Bicep compiler: `bicep` on PATH, else `az bicep`, else the Azure.Bicep.CommandLine package from NuGet
# (fetched once into .tools/ with the .NET SDK, as CI does). Usage: infra/scripts/bicep.sh build|lint ... (bicep args)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"

if command -v bicep >/dev/null 2>&1; then
  exec bicep "$@"
fi
if command -v az >/dev/null 2>&1 && az bicep version >/dev/null 2>&1; then
  exec az bicep "$@"
fi

version="$(sed -n 's/.*Azure.Bicep.CommandLine.linux-x64" Version="\[\(.*\)\]".*/\1/p' "$root/infra/tools/bicep-cli.csproj")"
compiler="$root/.tools/nuget/azure.bicep.commandline.linux-x64/$version/tools/bicep"
if [[ ! -x "$compiler" ]]; then
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "No Bicep compiler: install the Azure CLI (az bicep install) or bicep, or the .NET SDK to fetch it from NuGet." >&2
    exit 127
  fi
  dotnet restore "$root/infra/tools/bicep-cli.csproj" --packages "$root/.tools/nuget" --nologo -v quiet >&2
  chmod +x "$compiler"
fi
exec "$compiler" "$@"
