// Lets an operator run `mfa-responder drill`: Azure Event Hubs Data Sender on the sign-in hub only (not the
// namespace), for one principal — a person (User), a group of SOC engineers (Group) or a pipeline (ServicePrincipal).
// Role id from https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/analytics#azure-event-hubs-data-sender
// Whoever holds it can put sign-in records into the hub: grant it to the people who run drills, nobody else. Drill
// records count as drills only for the canary users in DRILL_USER_IDS; for anyone else they are real sign-ins.
param namespaceName string
param eventHubName string
param principalId string
@allowed(['User', 'Group', 'ServicePrincipal'])
param principalType string

var eventHubsDataSender = '2b629674-e913-4c01-ae53-ef4638d8f975'

resource namespace 'Microsoft.EventHub/namespaces@2026-01-01' existing = {
  name: namespaceName
}

resource hub 'Microsoft.EventHub/namespaces/eventhubs@2026-01-01' existing = {
  parent: namespace
  name: eventHubName
}

resource sender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hub.id, principalId, eventHubsDataSender)
  scope: hub
  properties: {
    principalId: principalId
    principalType: principalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', eventHubsDataSender)
  }
}
