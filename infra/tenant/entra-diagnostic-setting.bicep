// Streams Entra ID sign-in and audit logs to the responder's Event Hub. Tenant scope: deploy with
//   az deployment tenant create --location <region> --template-file infra/tenant/entra-diagnostic-setting.bicep \
//     --parameters eventHubAuthorizationRuleId=<DIAGNOSTIC_SEND_RULE_ID output> eventHubName=<EVENTHUB_NAME output>
// by an identity with Security Administrator (or Global Administrator) in Entra, permission to deploy at the tenant
// root, and listKeys on the Send rule. Exporting sign-in logs needs Entra ID P1 or P2.
targetScope = 'tenant'

@description('Resource id of the namespace-level Send rule (main.bicep output DIAGNOSTIC_SEND_RULE_ID).')
param eventHubAuthorizationRuleId string

@description('The sign-in hub (main.bicep output EVENTHUB_NAME). Naming it lets the rule be Send-only.')
param eventHubName string

param settingName string = 'mfa-fatigue-responder'

@description('Also stream non-interactive user sign-ins (token refreshes). Push prompts are interactive; these add volume, and a few MFA completions.')
param includeNonInteractive bool = true

@description('Also stream audit logs: a method registered after an attack (the attacker\'s persistence) is found in them.')
param includeAuditLogs bool = true

// Only user sign-ins: push denials land in SignInLogs. Service principal and managed identity sign-ins would be 5-10
// times the volume and carry no user MFA; the responder drops them unread anyway. AuditLogs carry security-info
// changes (method registered, Temporary Access Pass, default method changed); the rest of them is counted and skipped.
var categories = concat(
  ['SignInLogs'],
  includeNonInteractive ? ['NonInteractiveUserSignInLogs'] : [],
  includeAuditLogs ? ['AuditLogs'] : []
)

resource diagnosticSetting 'microsoft.aadiam/diagnosticSettings@2017-04-01' = {
  name: settingName
  properties: {
    eventHubAuthorizationRuleId: eventHubAuthorizationRuleId
    eventHubName: eventHubName
    logs: [
      for category in categories: {
        // The bundled type lists only 'AuditLogs' | 'SignInLogs'; Entra accepts every log category it documents
        // (NonInteractiveUserSignInLogs among them). Through a loop variable the value is a plain string, so the
        // compiler does not warn about it.
        category: category
        enabled: true
      }
    ]
  }
}

output settingId string = diagnosticSetting.id
