#!/usr/bin/env bash
# Grants the responder's managed identity its Microsoft Graph application permissions, the same roles as
# infra/graph/graph-permissions.bicep. Idempotent: roles already granted are skipped.
#   infra/scripts/grant-graph-permissions.sh <RESPONDER_PRINCIPAL_ID> [--remove-method] [--no-remove-new-methods]
#       [--reset-password] [--confirm-compromised] [--disable-account] [--block-sources]
# --reset-password also assigns the User Administrator directory role (Graph requires a role that covers the user for
# an app-only password reset); users who hold admin roles need Privileged Authentication Administrator instead, which
# this script does not grant (too broad to hand out by default). --block-sources (BLOCK_CAMPAIGN_SOURCES=true) grants
# Policy.Read.All and Policy.ReadWrite.ConditionalAccess, to change the ranges of the block named location.
# Run as Privileged Role Administrator (or Global Administrator) after `az login`.
set -euo pipefail

principal_id="${1:?usage: grant-graph-permissions.sh <managed identity object id> [--remove-method] [--no-remove-new-methods] [--reset-password] [--confirm-compromised] [--disable-account] [--block-sources]}"
shift
graph_base="${GRAPH_BASE_URL:-https://graph.microsoft.com}"

# Least privilege: see shared/graph/permissions.ts and docs/permissions.md.
roles=(User.Read.All GroupMember.Read.All User.RevokeSessions.All GroupMember.ReadWrite.All)
methods=yes  # REMOVE_NEW_METHODS=true is the default
reset_password=no
for flag in "$@"; do
  case "$flag" in
    --remove-method) methods=yes ;;
    --no-remove-new-methods) methods=no ;;
    --reset-password) roles+=(User-PasswordProfile.ReadWrite.All); reset_password=yes ;;
    --confirm-compromised) roles+=(IdentityRiskyUser.ReadWrite.All) ;;
    --disable-account) roles+=(User.EnableDisableAccount.All) ;;
    --block-sources) roles+=(Policy.Read.All); roles+=(Policy.ReadWrite.ConditionalAccess) ;;
    *) echo "unknown option: $flag" >&2; exit 2 ;;
  esac
done
if [[ "$methods" == yes ]]; then roles+=(UserAuthenticationMethod.ReadWrite.All); fi

if ! [[ "$principal_id" =~ ^[0-9a-fA-F-]{36}$ ]]; then
  echo "principal id must be the managed identity's object id (a GUID)" >&2
  exit 2
fi

graph_sp_id=$(az ad sp show --id 00000003-0000-0000-c000-000000000000 --query id -o tsv)
granted=$(az rest --method GET --uri "$graph_base/v1.0/servicePrincipals/$principal_id/appRoleAssignments" \
  --query "value[?resourceId=='$graph_sp_id'].appRoleId" -o tsv)

for role in "${roles[@]}"; do
  role_id=$(az ad sp show --id 00000003-0000-0000-c000-000000000000 \
    --query "appRoles[?value=='$role' && contains(allowedMemberTypes, 'Application')].id | [0]" -o tsv)
  if [[ -z "$role_id" ]]; then
    echo "Graph has no application role $role" >&2
    exit 1
  fi
  if grep -qx "$role_id" <<<"$granted"; then
    echo "already granted: $role"
    continue
  fi
  az rest --method POST --uri "$graph_base/v1.0/servicePrincipals/$principal_id/appRoleAssignments" \
    --headers 'Content-Type=application/json' \
    --body "{\"principalId\":\"$principal_id\",\"resourceId\":\"$graph_sp_id\",\"appRoleId\":\"$role_id\"}" >/dev/null
  echo "granted: $role"
done

if [[ "$reset_password" == yes ]]; then
  # User Administrator (built-in role template id, the same in every tenant), tenant-wide.
  user_admin=fe930be7-5e62-47db-91af-98c3a49a38b1
  assigned=$(az rest --method GET \
    --uri "$graph_base/v1.0/roleManagement/directory/roleAssignments?\$filter=principalId eq '$principal_id' and roleDefinitionId eq '$user_admin'" \
    --query "length(value)" -o tsv)
  if [[ "$assigned" != "0" ]]; then
    echo "already assigned: User Administrator directory role"
  else
    az rest --method POST --uri "$graph_base/v1.0/roleManagement/directory/roleAssignments" \
      --headers 'Content-Type=application/json' \
      --body "{\"principalId\":\"$principal_id\",\"roleDefinitionId\":\"$user_admin\",\"directoryScopeId\":\"/\"}" >/dev/null
    echo "assigned: User Administrator directory role"
  fi
fi
