// Optional: turns the responder's incident rows into Microsoft Sentinel incidents. A Scheduled rule (stable API;
// near-real-time rules exist only in preview API versions) that makes one alert per row and groups the alerts of one
// responder incident (its IncidentId) into one Sentinel incident, with the user as an Account entity and the
// attacking addresses as IP entities, the counts and containment status as custom details, and the title, description
// and severity of each row. Deployed in the workspace's resource group, after the table exists (the rule's query is
// validated against it). Enables Microsoft Sentinel on the workspace if it is not already (Sentinel is billed).
// https://learn.microsoft.com/azure/sentinel/scheduled-rules-overview
// https://learn.microsoft.com/azure/templates/microsoft.securityinsights/alertrules

@description('Log Analytics workspace (in this resource group) that holds MfaFatigueIncidents_CL.')
param workspaceName string

@description('The table the incident rows land in (an output of incident-log.bicep, so that it exists first).')
param tableName string

var ruleQuery = loadTextContent('analytic-rule.kql')

resource workspace 'Microsoft.OperationalInsights/workspaces@2026-03-01' existing = {
  name: workspaceName
}

resource sentinel 'Microsoft.SecurityInsights/onboardingStates@2025-09-01' = {
  scope: workspace
  name: 'default'
  properties: {}
}

resource rule 'Microsoft.SecurityInsights/alertRules@2025-09-01' = {
  scope: workspace
  name: guid(workspace.id, 'mfa-fatigue-responder', tableName)
  kind: 'Scheduled'
  dependsOn: [sentinel]
  properties: {
    displayName: 'MFA fatigue responder: push-bombing incident'
    description: 'One alert for each row the MFA Fatigue Responder writes to ${tableName}: a push-bombing incident it detected, and each change of its containment status (contained, needs attention, released). Alerts of one responder incident are grouped into one Sentinel incident.'
    enabled: true
    // The default; each row's Severity column overrides it (a fraud report or an approval is High).
    severity: 'Medium'
    query: ruleQuery
    queryFrequency: 'PT5M'
    queryPeriod: 'PT20M'
    triggerOperator: 'GreaterThan'
    triggerThreshold: 0
    suppressionEnabled: false
    suppressionDuration: 'PT5H'
    tactics: ['CredentialAccess']
    techniques: ['T1621']
    eventGroupingSettings: { aggregationKind: 'AlertPerResult' }
    entityMappings: [
      {
        entityType: 'Account'
        fieldMappings: [
          { identifier: 'AadUserId', columnName: 'UserId' }
          { identifier: 'Name', columnName: 'UpnName' }
          { identifier: 'UPNSuffix', columnName: 'UpnSuffix' }
        ]
      }
      { entityType: 'IP', fieldMappings: [{ identifier: 'Address', columnName: 'IPAddress1' }] }
      { entityType: 'IP', fieldMappings: [{ identifier: 'Address', columnName: 'IPAddress2' }] }
      { entityType: 'IP', fieldMappings: [{ identifier: 'Address', columnName: 'IPAddress3' }] }
      { entityType: 'IP', fieldMappings: [{ identifier: 'Address', columnName: 'IPAddress4' }] }
      { entityType: 'IP', fieldMappings: [{ identifier: 'Address', columnName: 'ApprovalIPAddress' }] }
    ]
    customDetails: {
      IncidentId: 'IncidentId'
      Trigger: 'Trigger'
      Denials: 'Denials'
      Timeouts: 'Timeouts'
      FraudReports: 'FraudReports'
      Approved: 'Approved'
      Containment: 'ContainmentStatus'
      ContainmentMode: 'ContainmentMode'
      Reason: 'ContainmentReason'
      ReleaseCommand: 'ReleaseCommand'
      Drill: 'Drill'
    }
    alertDetailsOverride: {
      alertDisplayNameFormat: '{{Headline}}'
      alertDescriptionFormat: '{{Summary}}'
      alertSeverityColumnName: 'Severity'
    }
    incidentConfiguration: {
      createIncident: true
      groupingConfiguration: {
        enabled: true
        // A status change of a responder incident joins its Sentinel incident while that is open (up to 7 days).
        reopenClosedIncident: false
        lookbackDuration: 'P7D'
        matchingMethod: 'Selected'
        groupByEntities: []
        groupByAlertDetails: []
        groupByCustomDetails: ['IncidentId']
      }
    }
  }
}

output ruleId string = rule.id
