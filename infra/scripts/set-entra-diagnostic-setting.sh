#!/usr/bin/env bash
# Streams Entra ID sign-in (and audit) logs to the responder's Event Hub: puts the tenant's diagnostic setting with one
# Azure Resource Manager call, PUT /providers/microsoft.aadiam/diagnosticSettings/{name}?api-version=2017-04-01
# (Azure/azure-rest-api-specs, specification/azureactivedirectory/resource-manager/Microsoft.Aadiam/stable/2017-04-01),
# then reads it back. No role at the tenant root is needed, unlike a tenant-scope template deployment.
#
#   infra/scripts/set-entra-diagnostic-setting.sh --rule-id <DIAGNOSTIC_SEND_RULE_ID> --hub <EVENTHUB_NAME>
#       [--name mfa-fatigue-responder] [--no-non-interactive] [--no-audit-logs]
#   infra/scripts/set-entra-diagnostic-setting.sh --delete [--name mfa-fatigue-responder]
#
# --rule-id and --hub default to the azd environment's outputs (DIAGNOSTIC_SEND_RULE_ID, EVENTHUB_NAME) when they are
# exported, so that
#   set -a; eval "$(azd env get-values)"; set +a; infra/scripts/set-entra-diagnostic-setting.sh
# is enough (without set -a, eval leaves them unexported and this script does not see them). Run it signed in (`az login`) as a Security Administrator (or Global Administrator) of the tenant who may
# also list the keys of the Send rule (Microsoft.EventHub/namespaces/authorizationRules/listkeys/action: Owner or
# Contributor of the namespace, or a custom role with that one action): Entra sends with that rule's key, which
# diagnostic settings cannot do without (they cannot use Entra ID authentication towards Event Hubs).
# Exporting sign-in logs needs Entra ID P1 or P2.
set -euo pipefail

usage='usage: set-entra-diagnostic-setting.sh [--rule-id <DIAGNOSTIC_SEND_RULE_ID>] [--hub <EVENTHUB_NAME>] [--name NAME] [--no-non-interactive] [--no-audit-logs]
       set-entra-diagnostic-setting.sh --delete [--name NAME]'
rule_id="${DIAGNOSTIC_SEND_RULE_ID:-}"
hub="${EVENTHUB_NAME:-}"
name='mfa-fatigue-responder'
non_interactive=yes
audit=yes
delete=no
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rule-id) rule_id="${2:-}"; shift ;;
    --hub) hub="${2:-}"; shift ;;
    --name) name="${2:-}"; shift ;;
    --no-non-interactive) non_interactive=no ;;
    --no-audit-logs) audit=no ;;
    --delete) delete=yes ;;
    *) echo "unknown option: $1" >&2; echo "$usage" >&2; exit 2 ;;
  esac
  shift
done

if ! [[ "$name" =~ ^[A-Za-z0-9_-]{1,260}$ ]]; then
  echo "--name takes letters, digits, - and _ only" >&2
  exit 2
fi
# A path relative to the current cloud's Resource Manager endpoint: az rest resolves it (national clouds too).
url="/providers/microsoft.aadiam/diagnosticSettings/$name?api-version=2017-04-01"

if [[ "$delete" == yes ]]; then
  az rest --method delete --url "$url" >/dev/null
  echo "deleted the Entra diagnostic setting \"$name\": sign-ins no longer stream to the hub"
  exit 0
fi

# The namespace-level Send rule the template creates (entra-diagnostics-send); naming the hub keeps it Send-only.
if ! [[ "$rule_id" =~ ^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.EventHub/namespaces/[^/]+/authorizationRules/[^/]+$ ]]; then
  echo "--rule-id must be the namespace's authorization rule id (the DIAGNOSTIC_SEND_RULE_ID output), got: '${rule_id}'" >&2
  echo "$usage" >&2
  exit 2
fi
if ! [[ "$hub" =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,255}$ ]]; then
  echo "--hub must be the sign-in hub's name (the EVENTHUB_NAME output), got: '${hub}'" >&2
  exit 2
fi

# SignInLogs carry the push denials. Non-interactive sign-ins add volume and a few MFA completions; audit logs carry
# a method registered after an attack. Service principal and managed identity sign-ins are never streamed: 5-10 times
# the volume and no user MFA. Keep SIGNIN_CATEGORIES and AUDIT_CATEGORIES in step with these choices.
categories=(SignInLogs)
if [[ "$non_interactive" == yes ]]; then categories+=(NonInteractiveUserSignInLogs); fi
if [[ "$audit" == yes ]]; then categories+=(AuditLogs); fi
logs=''
for c in "${categories[@]}"; do logs+="${logs:+,}{\"category\":\"$c\",\"enabled\":true}"; done
body="{\"properties\":{\"eventHubAuthorizationRuleId\":\"$rule_id\",\"eventHubName\":\"$hub\",\"logs\":[$logs]}}"

az rest --method put --url "$url" --headers 'Content-Type=application/json' --body "$body" >/dev/null
# Read back what Entra keeps: the categories enabled, and the hub it streams to.
streamed=$(az rest --method get --url "$url" \
  --query "join(',', properties.logs[?enabled].category)" -o tsv)
target=$(az rest --method get --url "$url" --query "properties.eventHubName" -o tsv)
if [[ ",$streamed," != *,SignInLogs,* || "$target" != "$hub" ]]; then
  echo "the setting \"$name\" reads back as streaming '$streamed' to '$target', not SignInLogs to $hub" >&2
  exit 1
fi
echo "Entra streams $streamed to the hub $hub (diagnostic setting \"$name\"). Check with: npx mfa-responder doctor"
