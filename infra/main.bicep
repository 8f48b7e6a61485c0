// MFA Fatigue Responder: everything in one resource group, from an empty subscription.
// Raw resource types only (no registry modules), so that it builds offline. The tenant-level diagnostic setting and
// the Graph permissions are separate steps: tenant/entra-diagnostic-setting.bicep and graph/graph-permissions.bicep
// (or scripts/grant-graph-permissions.sh), because they need Entra roles the resource deployer may not have.
targetScope = 'subscription'

@minLength(1)
@maxLength(40)
@description('Name of the environment (azd env name); used for the resource group and resource names.')
param environmentName string

@minLength(1)
@description('Azure region for every resource.')
param location string

@description('dry-run (default) records what would be done; live contains through Microsoft Graph.')
@allowed(['dry-run', 'live'])
param containmentMode string = 'dry-run'

@description('Object id of the push-block group (mfa-responder setup prints it). Required before going live in group mode.')
param pushBlockGroupId string = ''

@description('Comma-separated object ids and UPNs that are never contained (break-glass accounts).')
param neverContain string = ''

@description('Comma-separated group ids whose members are never contained.')
param neverContainGroupIds string = ''

@description('Where notices are POSTed (a Teams workflow URL carries a signature: treat it as a secret).')
@secure()
param notifyWebhookUrl string = ''

@description('Partitions of the sign-in hub (cannot be lowered later on Standard). 4 carries a large tenant.')
@minValue(1)
@maxValue(32)
param eventHubPartitionCount int = 4

@description('Maximum Flex Consumption instances.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Object id of a person, group or pipeline that may run mfa-responder drill (Azure Event Hubs Data Sender on the sign-in hub). Empty: nobody.')
param drillSenderPrincipalId string = ''

@description('Kind of drillSenderPrincipalId.')
@allowed(['User', 'Group', 'ServicePrincipal'])
param drillSenderPrincipalType string = 'User'

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module resources 'app/resources.bicep' = {
  name: 'mfa-responder-${resourceToken}'
  scope: rg
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
    containmentMode: containmentMode
    pushBlockGroupId: pushBlockGroupId
    neverContain: neverContain
    neverContainGroupIds: neverContainGroupIds
    notifyWebhookUrl: notifyWebhookUrl
    eventHubPartitionCount: eventHubPartitionCount
    maximumInstanceCount: maximumInstanceCount
    drillSenderPrincipalId: drillSenderPrincipalId
    drillSenderPrincipalType: drillSenderPrincipalType
  }
}

output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = resources.outputs.functionAppName
output RESPONDER_PRINCIPAL_ID string = resources.outputs.identityPrincipalId
output RESPONDER_CLIENT_ID string = resources.outputs.identityClientId
output EVENTHUB_NAMESPACE string = resources.outputs.eventHubNamespace
output EVENTHUB_NAME string = resources.outputs.eventHubName
output DIAGNOSTIC_SEND_RULE_ID string = resources.outputs.diagnosticSendRuleId
output STATE_TABLE_ENDPOINT string = resources.outputs.stateTableEndpoint
