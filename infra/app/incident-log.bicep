// Incident rows for Microsoft Sentinel: a custom table in the Log Analytics workspace, a data collection rule of kind
// Direct that routes the responder's stream into it, and Monitoring Metrics Publisher on that rule for the responder's
// identity. Deployed in the workspace's resource group (the rule must be in the workspace's region).
// https://learn.microsoft.com/azure/azure-monitor/logs/logs-ingestion-api-overview
// https://learn.microsoft.com/azure/azure-monitor/data-collection/data-collection-rule-structure

@description('Log Analytics workspace (in this resource group) that receives the rows.')
param workspaceName string

@description('The workspace\'s region: the data collection rule must be in it.')
param location string

@description('Principal id of the responder\'s managed identity: it sends the rows.')
param principalId string

@description('Makes the rule\'s name unique.')
param resourceToken string

param tags object = {}

// One list of columns for the table and the stream. It is the code's list (shared/sentinel/sentinelRow.ts
// SENTINEL_ROW_COLUMNS); test/infra checks that the two agree. Stream types are the data collection rule's
// (datetime); the table spells it dateTime.
var columns = loadJsonContent('incident-columns.json')
var tableName = 'MfaFatigueIncidents_CL'
var streamName = 'Custom-${tableName}'
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'

resource workspace 'Microsoft.OperationalInsights/workspaces@2026-03-01' existing = {
  name: workspaceName
}

// Analytics plan: Sentinel's scheduled rules and hunting queries need it (Basic and Auxiliary tables cannot be joined).
resource table 'Microsoft.OperationalInsights/workspaces/tables@2026-03-01' = {
  parent: workspace
  name: tableName
  properties: {
    plan: 'Analytics'
    schema: {
      name: tableName
      description: 'MFA Fatigue Responder: one row per incident state (new, each change of its containment status).'
      columns: map(columns, c => { name: c.name, type: c.type == 'datetime' ? 'dateTime' : c.type })
    }
  }
}

// kind Direct gives the rule its own logsIngestion endpoint, so no data collection endpoint is needed (only private
// link needs one). Rules made before 31 March 2024 have no such endpoint and cannot get one.
resource dcr 'Microsoft.Insights/dataCollectionRules@2024-03-11' = {
  name: 'dcr-mfa-incidents-${resourceToken}'
  location: location
  tags: tags
  kind: 'Direct'
  properties: {
    description: 'MFA Fatigue Responder incident rows to ${tableName}.'
    streamDeclarations: {
      '${streamName}': { columns: columns }
    }
    destinations: {
      logAnalytics: [
        {
          name: 'workspace'
          workspaceResourceId: workspace.id
        }
      ]
    }
    dataFlows: [
      {
        streams: [streamName]
        destinations: ['workspace']
        transformKql: 'source'
        // Names the table, so that the table is created first.
        outputStream: 'Custom-${table.name}'
      }
    ]
  }
}

// The responder may send to this rule and nothing else. New assignments take up to 30 minutes to apply: rows are
// refused with 403 until then, recorded on the incident and retried by the containment timer.
resource publisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(dcr.id, principalId, monitoringMetricsPublisher)
  scope: dcr
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
  }
}

// Hunting queries (Sentinel > Hunting; also Log Analytics > Queries): kept as .kql files beside the analytic rule.
var hunting = [
  {
    id: 'incidents-latest'
    displayName: 'MFA fatigue responder: every incident with its latest containment status'
    description: 'One line per responder incident: the newest row of each, with the user, trigger, counts and status.'
    query: loadTextContent('../sentinel/hunting/incidents-latest.kql')
  }
  {
    id: 'needs-a-person'
    displayName: 'MFA fatigue responder: incidents a person must act on'
    description: 'Incidents whose latest status is needs-attention or not-contained, or that are still running.'
    query: loadTextContent('../sentinel/hunting/needs-a-person.kql')
  }
  {
    id: 'attacking-ips'
    displayName: 'MFA fatigue responder: addresses that pushed prompts at several users'
    description: 'IP addresses seen in responder incidents, by the number of users they attacked.'
    query: loadTextContent('../sentinel/hunting/attacking-ips.kql')
  }
  {
    id: 'sign-ins-from-attacking-ips'
    displayName: 'MFA fatigue responder: successful sign-ins from an attacking address'
    description: 'Successful Entra sign-ins (SigninLogs) from an address of a responder incident, after it began.'
    query: loadTextContent('../sentinel/hunting/sign-ins-from-attacking-ips.kql')
  }
  {
    id: 'repeat-targets'
    displayName: 'MFA fatigue responder: users attacked more than once'
    description: 'Users with several responder incidents in 30 days: their password is known to someone.'
    query: loadTextContent('../sentinel/hunting/repeat-targets.kql')
  }
]

// A saved search that exists is replaced only when the request carries an etag: without one, the second deployment
// (every `azd provision` after the first) answers 409 Conflict (MicrosoftDocs/azure-docs#49275,
// Azure/bicep-types-az#1548). '*' replaces whatever version is there. The REST API documents the etag beside
// properties, but a template deployment does not pass it on from there; the Azure Verified Modules saved-search module
// sets it inside properties, where it works, and so does this (both are set; the compiler's type lists only the first).
resource huntingQueries 'Microsoft.OperationalInsights/workspaces/savedSearches@2026-03-01' = [
  for q in hunting: {
    parent: workspace
    name: 'mfa-responder-${q.id}'
    etag: '*'
    properties: {
      #disable-next-line BCP037
      etag: '*'
      category: 'Hunting Queries'
      displayName: q.displayName
      query: q.query
      version: 2
      tags: [
        { name: 'description', value: q.description }
        { name: 'tactics', value: 'CredentialAccess' }
        { name: 'techniques', value: 'T1621' }
      ]
    }
    dependsOn: [table]
  }
]

output endpoint string = dcr.properties.endpoints.logsIngestion
output ruleId string = dcr.properties.immutableId
output stream string = streamName
output table string = table.name
