// The responder's resources in one resource group. Every role assignment sits at the narrowest scope the data-plane
// calls need (see the comments); nothing uses a key or a connection string.
param location string
param tags object
param resourceToken string
param containmentMode string
param pushBlockGroupId string
param neverContain string
param neverContainGroupIds string
@secure()
param notifyWebhookUrl string
param eventHubPartitionCount int
param maximumInstanceCount int
@description('Object id of a principal allowed to send drills to the hub (Azure Event Hubs Data Sender); empty grants nobody.')
param drillSenderPrincipalId string = ''
@allowed(['User', 'Group', 'ServicePrincipal'])
param drillSenderPrincipalType string = 'User'

var functionAppName = 'func-mfa-${resourceToken}'
var deploymentContainerName = 'app-package-${take(resourceToken, 20)}'
var stateTableName = 'mfaResponderState'
var eventHubName = 'entra-signins'
var consumerGroupName = 'mfa-responder'

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

resource consumerGroup 'Microsoft.EventHub/namespaces/eventhubs/consumergroups@2024-01-01' = {
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

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: 'plan-mfa-${resourceToken}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

var appSettings = {
  // Host storage (checkpoints, leases, timers) through the identity.
  AzureWebJobsStorage__accountName: storage.name
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.properties.clientId
  // Event Hub trigger, identity-based.
  EventHubConnection__fullyQualifiedNamespace: '${eventHubNamespace.name}.servicebus.windows.net'
  EventHubConnection__credential: 'managedidentity'
  EventHubConnection__clientId: identity.properties.clientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.properties.clientId};Authorization=AAD'
  // The product's settings (README, Configuration). Empty values take the documented default.
  AZURE_CLIENT_ID: identity.properties.clientId
  EVENTHUB_NAME: eventHubName
  EVENTHUB_CONSUMER_GROUP: consumerGroupName
  STATE_TABLE_ENDPOINT: storage.properties.primaryEndpoints.table
  STATE_TABLE_NAME: stateTableName
  DENIAL_THRESHOLD: '5'
  DENIAL_WINDOW_MINUTES: '10'
  TIMEOUT_WEIGHT: '0.5'
  SPAM_THEN_SUCCESS_MIN_DENIALS: '3'
  FRAUD_REPORT_TRIGGER: 'true'
  LATE_EVENT_TOLERANCE_HOURS: '24'
  MAX_CLOCK_SKEW_MINUTES: '60'
  AUDIT_CATEGORIES: 'AuditLogs'
  PERSISTENCE_WINDOW_HOURS: '24'
  REMOVE_NEW_METHODS: 'true'
  RESET_PASSWORD: 'false'
  DRILL_USER_IDS: ''
  MAX_PROMPTS_PER_USER: '500'
  SIGNIN_CATEGORIES: 'SignInLogs,NonInteractiveUserSignInLogs'
  CONTAINMENT_MODE: containmentMode
  PUSH_BLOCK_MODE: 'group'
  PUSH_BLOCK_GROUP_ID: pushBlockGroupId
  CONFIRM_COMPROMISED: 'false'
  DISABLE_ACCOUNT: 'false'
  NOTIFY_WEBHOOK_URL: notifyWebhookUrl
  NEVER_CONTAIN: neverContain
  NEVER_CONTAIN_GROUP_IDS: neverContainGroupIds
  MAX_CONTAINMENTS_PER_HOUR: '10'
  CONTAINMENT_COOLDOWN_MINUTES: '60'
  CONTAINMENT_TIMER_SCHEDULE: '0 */1 * * * *'
  MAX_STEP_ATTEMPTS: '6'
  GRAPH_BASE_URL: 'https://graph.microsoft.com'
  GRAPH_CALL_TIMEOUT_SECONDS: '15'
  GRAPH_STEP_BUDGET_SECONDS: '90'
  LAG_WARNING_MINUTES: '10'
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
      runtime: { name: 'node', version: '20' }
    }
  }
  dependsOn: [deploymentContainer, blobRole, tableRole, eventHubRole]
}

// The app settings as one resource, so that they can be an object (and a test can read them from the ARM JSON).
resource functionAppSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: appSettings
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
