// The responder's resources in one resource group. Every role assignment sits at the narrowest scope the data-plane
// calls need (see the comments); nothing uses a key or a connection string.
param location string
param tags object
param resourceToken string
@description('The product settings, validated by main.bicep (one parameter each).')
param productSettings object
@description('NOTIFY_WEBHOOK_URL: stored as a Key Vault secret, never as an app setting; empty leaves notices off.')
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
@description('Object id of whoever deploys (azd\'s AZURE_PRINCIPAL_ID): read access to the deployment container, which the predeploy hook uses to wait until this deployment\'s storage roles work. Empty grants nobody.')
param deployerPrincipalId string = ''

var functionAppName = 'func-mfa-${resourceToken}'
var deploymentContainerName = 'app-package-${take(resourceToken, 20)}'

// Built-in role definition ids (they are the same in every tenant).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  eventHubsDataReceiver: 'a638d3c7-ab3a-418d-83e6-5f17a39d4fde'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  storageBlobDataReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: 'id-mfa-${resourceToken}'
  location: location
  tags: tags
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2026-03-01' = {
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

resource storage 'Microsoft.Storage/storageAccounts@2026-09-01' = {
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

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2026-09-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2026-09-01' = {
  parent: blobService
  name: deploymentContainerName
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2026-09-01' = {
  parent: storage
  name: 'default'
}

// Created here so that the identity needs rights on this one table only.
resource stateTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2026-09-01' = {
  parent: tableService
  name: stateTableName
}

// The webhook URL's sig= is a bearer secret: it lives in this vault only (RBAC, no access policies), and the app
// setting holds a Key Vault reference that the platform resolves with the identity below
// (https://learn.microsoft.com/azure/app-service/app-service-key-vault-references). Nobody else gets a data role
// here; the deployment writes the secret through Azure Resource Manager. Purge protection is left off so that
// `azd down --purge` can remove the vault; soft delete keeps a deleted secret for 7 days.
var notifySecretName = 'notify-webhook-url'
resource vault 'Microsoft.KeyVault/vaults@2026-02-01' = {
  name: 'kv-mfa-${take(resourceToken, 17)}'
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
  }
}

resource notifySecret 'Microsoft.KeyVault/vaults/secrets@2026-02-01' = if (!empty(notifyWebhookUrl)) {
  parent: vault
  name: notifySecretName
  properties: {
    value: notifyWebhookUrl
    contentType: 'NOTIFY_WEBHOOK_URL'
  }
}

// Key Vault Secrets User on this one secret, for the responder's identity only.
resource notifySecretReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(notifyWebhookUrl)) {
  name: guid(vault.id, notifySecretName, identity.id, roles.keyVaultSecretsUser)
  scope: notifySecret
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
  }
}

resource eventHubNamespace 'Microsoft.EventHub/namespaces@2026-01-01' = {
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

resource eventHub 'Microsoft.EventHub/namespaces/eventhubs@2026-01-01' = {
  parent: eventHubNamespace
  name: eventHubName
  properties: {
    partitionCount: eventHubPartitionCount
    messageRetentionInDays: 1
  }
}

// Every hub has $Default; any other group the responder reads with is created here.
resource consumerGroup 'Microsoft.EventHub/namespaces/eventhubs/consumergroups@2026-01-01' = if (consumerGroupName != '$Default') {
  parent: eventHub
  name: consumerGroupName
}

// Send only: the diagnostic setting names the hub, so it needs neither Listen nor Manage.
resource diagnosticSendRule 'Microsoft.EventHub/namespaces/authorizationRules@2026-01-01' = {
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

resource logsWorkspace 'Microsoft.OperationalInsights/workspaces@2026-03-01' existing = {
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

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
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

resource functionApp 'Microsoft.Web/sites@2025-03-01' = {
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
    // Key Vault references resolve with the user-assigned identity (the app has no system-assigned one).
    keyVaultReferenceIdentity: identity.id
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
      // Node.js 22 is the newest version Azure Functions supports as generally available; its support ends on
      // 2027-04-30. Node.js 24 is in public preview on Azure Functions (Azure Updates, 18 November 2025): move this,
      // package.json "engines" and .ci/run to 24 once it is generally available, and before that date.
      runtime: { name: 'node', version: '22' }
    }
  }
  dependsOn: [deploymentContainer, blobRole, tableRole, eventHubRole]
}

// All app settings, as one resource that replaces the whole set on every deployment: the template is their only
// owner (main.bicep says how to change one). Later keys win in union(); the test checks that none overlap.
resource functionAppSettings 'Microsoft.Web/sites/config@2025-03-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: union(resourceSettings, productSettings, {
    // Versionless: a new version of the secret (a rotated URL) is picked up within 24 hours, or at the next restart.
    NOTIFY_WEBHOOK_URL: empty(notifyWebhookUrl) ? '' : '@Microsoft.KeyVault(VaultName=${vault.name};SecretName=${notifySecretName})'
  })
  dependsOn: [notifySecretReader]
}

// Optional: App Service authentication in front of every HTTP endpoint. Callers present an Entra access token for
// the app registration (audience api://<client id> or the client id); anything else gets 401 before the function
// runs. The admin endpoints then read the caller's name and app roles from the headers the platform sets
// (functions/auth.ts); the release endpoint requires the MfaResponder.Release role. No client secret is needed:
// the platform only validates bearer tokens. Deployments (azd) go to the SCM site, which this does not guard.
resource authSettings 'Microsoft.Web/sites/config@2025-03-01' = if (!empty(adminAuthClientId)) {
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

// Read access to the deployment container for whoever deploys: the predeploy hook (infra/scripts/wait-for-storage-roles.sh)
// lists the container with it until storage answers 200 instead of 403, that is until role assignments made by this
// deployment work on the account's data plane. The identity's own Blob Data Owner (above) was made in the same
// deployment, and Flex Consumption uploads the package with that identity: azd does not retry the 403 a fresh
// assignment gets (Azure/azure-dev#8026). Reader, on this one container: the deployer can already deploy code.
resource deployerProbeRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(deploymentContainer.id, deployerPrincipalId, roles.storageBlobDataReader)
  scope: deploymentContainer
  properties: {
    principalId: deployerPrincipalId
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataReader)
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
output deploymentContainerUrl string = '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
output keyVaultName string = vault.name
