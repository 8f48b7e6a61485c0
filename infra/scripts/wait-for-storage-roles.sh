#!/usr/bin/env bash
# azd predeploy hook (azure.yaml): waits, bounded, until the role assignments the provision just made work on the
# storage account's data plane, so that the first deployment does not fail on them.
#
# Why: shared keys are off, and Flex Consumption uploads the package to the deployment container with the app's
# managed identity, whose Storage Blob Data Owner role the same provision created seconds earlier. A role assignment
# takes a while to reach the data plane (up to about ten minutes), storage answers 403 until then, and azd does not
# retry it (Azure/azure-dev#8026). The hook cannot sign in as the managed identity, so it probes with the deployer's
# own sign-in, which the same provision gave Storage Blob Data Reader on the same container
# (infra/app/resources.bicep, deployerProbeRole): it lists the container until storage answers 200 instead of 403.
#
# Reads DEPLOYMENT_CONTAINER_URL (an output of the provision) from the azd environment. Bounds:
# WAIT_FOR_ROLES_TIMEOUT_SECONDS (default 600) and WAIT_FOR_ROLES_INTERVAL_SECONDS (default 10).
set -euo pipefail

url="${DEPLOYMENT_CONTAINER_URL:-}"
timeout="${WAIT_FOR_ROLES_TIMEOUT_SECONDS:-600}"
interval="${WAIT_FOR_ROLES_INTERVAL_SECONDS:-10}"
if [[ -z "$url" ]]; then
  echo "wait-for-storage-roles: DEPLOYMENT_CONTAINER_URL is not in this azd environment (provisioned by an older template): run azd provision first; not waiting."
  exit 0
fi
if ! [[ "$timeout" =~ ^[0-9]+$ && "$interval" =~ ^[0-9]+$ && "$interval" -gt 0 ]]; then
  echo "WAIT_FOR_ROLES_TIMEOUT_SECONDS and WAIT_FOR_ROLES_INTERVAL_SECONDS must be whole numbers of seconds" >&2
  exit 2
fi

# azd's own sign-in: the principal the provision gave the probe role to (AZURE_PRINCIPAL_ID).
token() {
  azd auth token --scope https://storage.azure.com/.default --output json |
    sed -n 's/.*"token"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p'
}

# List Blobs, one result at most (https://learn.microsoft.com/rest/api/storageservices/list-blobs): allowed by
# Storage Blob Data Reader, refused with 403 until the assignment has reached the data plane.
probe() {
  curl -sS -o /dev/null -w '%{http_code}' --max-time 30 \
    -H "Authorization: Bearer $1" -H 'x-ms-version: 2023-11-03' \
    "${url%/}?restype=container&comp=list&maxresults=1" 2>/dev/null || echo 000
}

access_token="$(token)"
if [[ -z "$access_token" ]]; then
  echo "wait-for-storage-roles: azd auth token gave no token for Azure Storage: sign in with azd auth login" >&2
  exit 1
fi
start=$SECONDS
status=''
while :; do
  status="$(probe "$access_token")"
  if [[ "$status" == 200 ]]; then
    echo "wait-for-storage-roles: this provision's storage roles work (after $((SECONDS - start)) s); deploying."
    exit 0
  fi
  if [[ "$status" == 401 ]]; then access_token="$(token)"; fi
  if ((SECONDS - start + interval > timeout)); then break; fi
  echo "wait-for-storage-roles: the deployment container answers $status (the new role assignments are not effective yet); trying again in ${interval} s"
  sleep "$interval"
done
echo "wait-for-storage-roles: after ${timeout} s the deployment container still answers $status." >&2
echo "Role assignments usually take effect within minutes: run azd deploy again later. If it persists, check that the" >&2
echo "managed identity holds Storage Blob Data Owner on the storage account (az role assignment list --scope <storage id>)." >&2
exit 1
