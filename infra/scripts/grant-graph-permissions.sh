#!/usr/bin/env bash
# Grants the responder's managed identity the Microsoft Graph application permissions (app roles) its containment mode
# uses, and nothing else: the same roles as infra/graph/graph-permissions.bicep for the same choices. Idempotent: roles
# already granted are skipped. It never removes a role: `mfa-responder doctor` names the ones the mode does not use,
# with the command that removes each.
#   infra/scripts/grant-graph-permissions.sh <RESPONDER_PRINCIPAL_ID> --mode dry-run|live [--remove-method]
#       [--no-remove-new-methods] [--reset-password] [--confirm-compromised] [--disable-account]
#   infra/scripts/grant-graph-permissions.sh --print-roles --mode live [...]   (prints the roles; no sign-in, no change)
# --mode dry-run grants nothing: in dry-run the function app makes no Graph call at all (a test runs it with no role
# and the local Graph refuses every call). --mode live grants the reads and writes containment makes; each flag adds
# the role of one optional step. --reset-password also assigns the User Administrator directory role (Graph requires a
# role that covers the user for an app-only password reset); users who hold admin roles need Privileged
# Authentication Administrator instead, which this script does not grant (too broad to hand out by default).
# Run as Privileged Role Administrator (or Global Administrator) after `az login`.
set -euo pipefail

usage='usage: grant-graph-permissions.sh <managed identity object id> --mode dry-run|live [--remove-method] [--no-remove-new-methods] [--reset-password] [--confirm-compromised] [--disable-account]
       grant-graph-permissions.sh --print-roles --mode dry-run|live [flags]'
principal_id=''
mode=''
print_roles=no
remove_method=no
methods=yes # REMOVE_NEW_METHODS=true is the default
reset_password=no
confirm_compromised=no
disable_account=no
while [[ $# -gt 0 ]]; do
  case "$1" in
    --mode) mode="${2:-}"; shift ;;
    --mode=*) mode="${1#--mode=}" ;;
    --print-roles) print_roles=yes ;;
    --remove-method) remove_method=yes ;;
    --no-remove-new-methods) methods=no ;;
    --reset-password) reset_password=yes ;;
    --confirm-compromised) confirm_compromised=yes ;;
    --disable-account) disable_account=yes ;;
    -*) echo "unknown option: $1" >&2; echo "$usage" >&2; exit 2 ;;
    *)
      if [[ -n "$principal_id" ]]; then echo "one principal id only" >&2; exit 2; fi
      principal_id="$1" ;;
  esac
  shift
done

# The mode is required: granting the write roles must be a decision, never a default.
case "$mode" in
  dry-run | live) ;;
  *) echo "--mode dry-run or --mode live is required (CONTAINMENT_MODE of the deployment)" >&2; echo "$usage" >&2; exit 2 ;;
esac

# Least privilege: shared/graph/permissions.ts says why each role is needed; test/infra/grantScript.test.ts holds the
# two together for every combination.
roles=()
if [[ "$mode" == live ]]; then
  roles+=(User.Read.All GroupMember.Read.All User.RevokeSessions.All GroupMember.ReadWrite.All)
  if [[ "$remove_method" == yes || "$methods" == yes ]]; then roles+=(UserAuthenticationMethod.ReadWrite.All); fi
  if [[ "$reset_password" == yes ]]; then roles+=(User-PasswordProfile.ReadWrite.All); fi
  if [[ "$confirm_compromised" == yes ]]; then roles+=(IdentityRiskyUser.ReadWrite.All); fi
  if [[ "$disable_account" == yes ]]; then roles+=(User.EnableDisableAccount.All); fi
fi
directory_role=no
if [[ "$mode" == live && "$reset_password" == yes ]]; then directory_role=yes; fi

if [[ "$print_roles" == yes ]]; then
  if [[ ${#roles[@]} -gt 0 ]]; then printf '%s\n' "${roles[@]}"; fi
  if [[ "$directory_role" == yes ]]; then echo 'directory role: User Administrator'; fi
  exit 0
fi

if ! [[ "$principal_id" =~ ^[0-9a-fA-F-]{36}$ ]]; then
  echo "principal id must be the managed identity's object id (a GUID)" >&2
  echo "$usage" >&2
  exit 2
fi
if [[ ${#roles[@]} -eq 0 ]]; then
  echo "CONTAINMENT_MODE=dry-run makes no Microsoft Graph call: nothing to grant."
  echo "Run this again with --mode live (and your flags) before you set CONTAINMENT_MODE=live."
  exit 0
fi

graph_base="${GRAPH_BASE_URL:-https://graph.microsoft.com}"
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

if [[ "$directory_role" == yes ]]; then
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
echo "Managed identity tokens are cached for up to 24 hours: restart the function app so that it uses the new roles now."
