// The responder's resources in one resource group. Every role assignment sits at the narrowest scope the data-plane
// calls need (see the comments); nothing uses a key or a connection string.
param location string
param tags object
param resourceToken string
@description('The product settings, validated by main.bicep (one parameter each).')
param productSettings object
@secure()
param notifyWebhookUrl string
param eventHubName string
param consumerGroupName string
param stateTableName string
param eventHubPartitionCount int
param maximumInstanceCount int
@description('Entra app registration that App Service authentication validates tokens for; empty leaves it off.')
param adminAuthClientId string
@description('Send incident rows to a Log Analytics table through a data collection rule (Sentinel reads them).')
param incidentLog bool
@description('Resource id of the workspace for incident rows; empty: the workspace created here.')
param incidentLogWorkspaceId string
@description('Also deploy the Sentinel analytic rule that turns incident rows into Sentinel incidents.')
param sentinelAnalyticRule bool
@description('Object id of a principal allowed to send drills to the hub (Azure Event Hubs Data Sender); empty grants nobody.')
param drillSenderPrincipalId string = ''
@allowed(['User', 'Group', 'ServicePrincipal'])
param drillSenderPrincipalType string = 'User'

var functionAppName = 'func-mfa-${resourceToken}'
var deploymentContainerName = 'app-package-${take(resourceToken, 20)}'

// Built-in role definition ids (they are the same in every tenant).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  eventHubsDataReceiver: 'a638d3c7-ab3a-418d-83e6-5f17a39d4fde'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-mfa-${resourceToken}'
  location: location
  tags: tags
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-mfa-${resourceToken}'
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-mfa-${resourceToken}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    // Only Entra-authenticated telemetry (the identity has Monitoring Metrics Publisher below).
    DisableLocalAuth: true
  }
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: 'stmfa${take(resourceToken, 18)}'
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    defaultToOAuthAuthentication: true
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

// Created here so that the identity needs rights on this one table only.
resource stateTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = {
  parent: tableService
  name: stateTableName
}

resource eventHubNamespace 'Microsoft.EventHub/namespaces@2024-01-01' = {
  name: 'evhns-mfa-${resourceToken}'
  location: location
  tags: tags
  sku: { name: 'Standard', tier: 'Standard', capacity: 1 }
  properties: {
    minimumTlsVersion: '1.2'
    // Local (SAS) auth stays on: Entra diagnostic settings can only send to Event Hubs with a SAS rule. The
    // responder itself reads with its managed identity, never with a key.
    disableLocalAuth: false
  }
}

resource eventHub 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' = {
  parent: eventHubNamespace
  name: eventHubName
  properties: {
    partitionCount: eventHubPartitionCount
    messageRetentionInDays: 1
  }
}

// Every hub has $Default; any other group the responder reads with is created here.
resource consumerGroup 'Microsoft.EventHub/namespaces/eventhubs/consumergroups@2024-01-01' = if (consumerGroupName != '$Default') {
  parent: eventHub
  name: consumerGroupName
}

// Send only: the diagnostic setting names the hub, so it needs neither Listen nor Manage.
resource diagnosticSendRule 'Microsoft.EventHub/namespaces/authorizationRules@2024-01-01' = {
  parent: eventHubNamespace
  name: 'entra-diagnostics-send'
  properties: {
    rights: ['Send']
  }
}

// Incident rows for Sentinel: table, data collection rule and the identity's right to send, in the workspace's own
// resource group (this one, unless a workspace is given).
var logsWorkspaceSubscription = empty(incidentLogWorkspaceId) ? subscription().subscriptionId : split(incidentLogWorkspaceId, '/')[2]
var logsWorkspaceGroup = empty(incidentLogWorkspaceId) ? resourceGroup().name : split(incidentLogWorkspaceId, '/')[4]
var logsWorkspaceName = empty(incidentLogWorkspaceId) ? workspace.name : last(split(incidentLogWorkspaceId, '/'))

resource logsWorkspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: logsWorkspaceName
  scope: resourceGroup(logsWorkspaceSubscription, logsWorkspaceGroup)
}

module incidentLogRule 'incident-log.bicep' = if (incidentLog) {
  name: 'incident-log-${resourceToken}'
  scope: resourceGroup(logsWorkspaceSubscription, logsWorkspaceGroup)
  params: {
    workspaceName: logsWorkspaceName
    location: empty(incidentLogWorkspaceId) ? location : logsWorkspace.location
    principalId: identity.properties.principalId
    resourceToken: resourceToken
    tags: tags
  }
}

module analyticRule '../sentinel/analytic-rule.bicep' = if (incidentLog && sentinelAnalyticRule) {
  name: 'sentinel-rule-${resourceToken}'
  scope: resourceGroup(logsWorkspaceSubscription, logsWorkspaceGroup)
  params: {
    workspaceName: logsWorkspaceName
    tableName: incidentLogRule.?outputs.table ?? 'MfaFatigueIncidents_CL'
  }
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: 'plan-mfa-${resourceToken}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

// Settings that follow from the resources created here. The host reaches its storage (checkpoints, leases, timer
// locks, keys: all blobs) through the identity, at the one service URI it needs: with an account name alone it would
// also derive a Table endpoint and log 403s there (Azure/azure-functions-host#10995).
var resourceSettings = {
  AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.properties.clientId
  // Event Hub trigger, identity-based.
  EventHubConnection__fullyQualifiedNamespace: '${eventHubNamespace.name}.servicebus.windows.net'
  EventHubConnection__credential: 'managedidentity'
  EventHubConnection__clientId: identity.properties.clientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.properties.clientId};Authorization=AAD'
  AZURE_CLIENT_ID: identity.properties.clientId
  STATE_TABLE_ENDPOINT: storage.properties.primaryEndpoints.table
  // Incident rows to Sentinel's table: the data collection rule created above (empty when incidentLog is off).
  LOGS_INGESTION_ENDPOINT: incidentLogRule.?outputs.endpoint ?? ''
  LOGS_INGESTION_RULE_ID: incidentLogRule.?outputs.ruleId ?? ''
  LOGS_INGESTION_STREAM: incidentLogRule.?outputs.stream ?? 'Custom-MfaFatigueIncidents_CL'
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: functionAppName
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: 2048
      }
      runtime: { name: 'node', version: '22' }
    }
  }
  dependsOn: [deploymentContainer, blobRole, tableRole, eventHubRole]
}

// All app settings, as one resource that replaces the whole set on every deployment: the template is their only
// owner (main.bicep says how to change one). Later keys win in union(); the test checks that none overlap.
resource functionAppSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: union(resourceSettings, productSettings, { NOTIFY_WEBHOOK_URL: notifyWebhookUrl })
}

// Optional: App Service authentication in front of every HTTP endpoint. Callers present an Entra access token for
// the app registration (audience api://<client id> or the client id); anything else gets 401 before the function
// runs. The admin endpoints then read the caller's name and app roles from the headers the platform sets
// (functions/auth.ts); the release endpoint requires the MfaResponder.Release role. No client secret is needed:
// the platform only validates bearer tokens. Deployments (azd) go to the SCM site, which this does not guard.
resource authSettings 'Microsoft.Web/sites/config@2024-04-01' = if (!empty(adminAuthClientId)) {
  parent: functionApp
  name: 'authsettingsV2'
  properties: {
    platform: { enabled: true }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
    }
    httpSettings: { requireHttps: true }
    login: { tokenStore: { enabled: false } }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: adminAuthClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [adminAuthClientId, 'api://${adminAuthClientId}']
        }
      }
    }
  }
}

// Blob Data Owner on the account: the host keeps Event Hubs checkpoints, leases and timer locks in containers it
// creates itself (azure-webjobs-*), and Flex reads the app package from the deployment container.
resource blobRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
  }
}

// Table Data Contributor on the state table only: per-user rows and the circuit-breaker row.
resource tableRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(stateTable.id, identity.id, roles.storageTableDataContributor)
  scope: stateTable
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
  }
}

// Data Receiver on the sign-in hub only, not the namespace.
resource eventHubRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(eventHub.id, identity.id, roles.eventHubsDataReceiver)
  scope: eventHub
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.eventHubsDataReceiver)
  }
}

resource metricsRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, identity.id, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
  }
}

// `mfa-responder drill` sends to the hub as an operator: Data Sender for the one principal named, if any.
module drillSender 'drill-sender.bicep' = if (!empty(drillSenderPrincipalId)) {
  name: 'drill-sender-${resourceToken}'
  params: {
    namespaceName: eventHubNamespace.name
    eventHubName: eventHub.name
    principalId: drillSenderPrincipalId
    principalType: drillSenderPrincipalType
  }
}

output functionAppName string = functionApp.name
output identityPrincipalId string = identity.properties.principalId
output identityClientId string = identity.properties.clientId
output eventHubNamespace string = eventHubNamespace.name
output eventHubName string = eventHub.name
output diagnosticSendRuleId string = diagnosticSendRule.id
output stateTableEndpoint string = storage.properties.primaryEndpoints.table
