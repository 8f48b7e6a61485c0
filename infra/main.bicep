// MFA Fatigue Responder: everything in one resource group, from an empty subscription.
// Raw resource types only (no registry modules), so that it builds offline. The tenant-level diagnostic setting and
// the Graph permissions are separate steps: scripts/set-entra-diagnostic-setting.sh (one Resource Manager call by a
// Security Administrator) and scripts/grant-graph-permissions.sh (or graph/graph-permissions.bicep), because they need
// Entra roles the resource deployer may not have.
//
// This template owns every app setting of the function app: the app-settings resource replaces the whole set on each
// deployment, so a setting changed any other way is undone by the next `azd provision`. Change a setting with
//   azd env set DENIAL_THRESHOLD 8 && azd provision
// (or `--parameters denialThreshold=8` with az). A bad value fails the deployment, not the app's start-up. The azd
// environment's values are kept in azd's remote environment state, so that every machine provisions the same ones;
// the preprovision hook (scripts/check-settings-drift.cjs) stops a provision that would reset a deployed value the
// environment lacks.
targetScope = 'subscription'

@minLength(1)
@maxLength(40)
@description('Name of the environment (azd env name); used for the resource group and resource names.')
param environmentName string

@minLength(1)
@description('Azure region for every resource. It must offer Flex Consumption: az functionapp list-flexconsumption-locations --output table')
param location string

@description('Partitions of the sign-in hub. Fixed once the hub exists: Event Hubs Standard cannot change a partition count (changing this later fails the deployment). 4 carries a large tenant.')
@minValue(1)
@maxValue(32)
param eventHubPartitionCount int = 4

@description('Maximum Flex Consumption instances.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Client id of an Entra app registration: when set, App Service authentication (Entra ID) guards every HTTP endpoint and the admin endpoints take named callers with app roles instead of function keys. Empty: function keys.')
param adminAuthClientId string = ''

@description('Send every incident and each change of its containment status to a Log Analytics table (MfaFatigueIncidents_CL) for Microsoft Sentinel: the table, a data collection rule and the identity\'s role on it. The LOGS_INGESTION_* settings follow from them.')
param incidentLog bool = true

@description('Resource id of an existing Log Analytics workspace for the incident rows (your Sentinel workspace); empty: the workspace this template creates.')
param incidentLogWorkspaceId string = ''

@description('Also deploy the Sentinel analytic rule that turns each incident row into a Sentinel incident (enables Microsoft Sentinel on the workspace, which is billed).')
param sentinelAnalyticRule bool = false

// ---------------------------------------------------------------------------------------------------------------------
// Product settings: one parameter per setting in shared/settings/settings.ts (SETTINGS), with the bounds the app enforces.
// The parameter is the setting's name in camelCase (DENIAL_THRESHOLD -> denialThreshold). To add a setting:
//   1. a param here, typed and bounded like its schema (int -> int with @minValue/@maxValue, true/false -> bool,
//      a fixed list -> string with @allowed), defaulting to the app's default;
//   2. "<param>": { "value": "${SETTING_NAME=default}" } in main.parameters.json (azd environment variable);
//   3. SETTING_NAME: <param> in productSettings below.
// test/infra/settingsParameters.test.ts fails, naming the setting, until all three are there.
// AZURE_CLIENT_ID and STATE_TABLE_ENDPOINT are not parameters: they name the identity and the storage account this
// template creates (app/resources.bicep sets them); nor are LOGS_INGESTION_ENDPOINT, _RULE_ID and _STREAM, which name
// the data collection rule it creates (incidentLog above). NOTIFY_WEBHOOK_URL is a secure parameter that stays out of
// productSettings: the module writes it to Key Vault and gives the app a Key Vault reference to it.
// ---------------------------------------------------------------------------------------------------------------------

@description('DENIAL_THRESHOLD: weighted push denials within the window that open an incident.')
@minValue(1)
@maxValue(1000)
param denialThreshold int = 5

@description('DENIAL_WINDOW_MINUTES: sliding window, by event time, for the threshold and spam-then-success triggers.')
@minValue(1)
@maxValue(1440)
param denialWindowMinutes int = 10

@description('TIMEOUT_WEIGHT: how much an unanswered push counts, a number from 0 to 1 (checked below: Bicep has no decimal type).')
@minLength(1)
@maxLength(20)
param timeoutWeight string = '0.5'

@description('SPAM_THEN_SUCCESS_MIN_DENIALS: weighted denials before a fresh MFA approval that open an incident at once.')
@minValue(1)
@maxValue(1000)
param spamThenSuccessMinDenials int = 3

@description('SUSTAINED_WINDOW_HOURS: the long window, by event time, for the sustained trigger and a spam-then-success over hours.')
@minValue(1)
@maxValue(168)
param sustainedWindowHours int = 4

@description('SUSTAINED_THRESHOLD: weighted prompts within SUSTAINED_WINDOW_HOURS that open a sustained incident, however paced.')
@minValue(1)
@maxValue(1000)
param sustainedThreshold int = 15

@description('REMOVAL_LOOKBACK_MINUTES: how far before the prompt that completed a trigger the removal of new methods reaches at most.')
@minValue(10)
@maxValue(1440)
param removalLookbackMinutes int = 60

@description('FRAUD_REPORT_TRIGGER: a single "report fraud" answer opens an incident at once.')
param fraudReportTrigger bool = true

@description('LATE_EVENT_TOLERANCE_HOURS: how far behind a user\'s newest event a late record still counts; must cover the window.')
@minValue(1)
@maxValue(168)
param lateEventToleranceHours int = 24

@description('MAX_CLOCK_SKEW_MINUTES: a record dated further than this ahead of the wall clock is rejected as future-time.')
@minValue(1)
@maxValue(1440)
param maxClockSkewMinutes int = 60

@description('AUDIT_CATEGORIES: audit log categories read for security-information changes, or none.')
@allowed(['AuditLogs', 'none'])
param auditCategories string = 'AuditLogs'

@description('PERSISTENCE_WINDOW_HOURS: after an attack never released, how long a newly registered method is taken as the attacker\'s.')
@minValue(1)
@maxValue(720)
param persistenceWindowHours int = 24

@description('CAMPAIGN_WINDOW_MINUTES: window in which the distinct users prompted from one source are counted.')
@minValue(5)
@maxValue(1440)
param campaignWindowMinutes int = 60

@description('CAMPAIGN_MIN_USERS: distinct users prompted from one address within the window that open a push-spray campaign.')
@minValue(3)
@maxValue(10000)
param campaignMinUsers int = 10

@description('CAMPAIGN_MAX_USERS: up to this many users a campaign is contained user by user; above it it needs attention.')
@minValue(1)
@maxValue(100000)
param campaignMaxUsers int = 50

@description('TRUSTED_SOURCE_RANGES: comma-separated CIDR egress ranges (NPS extension, AD FS, VDI, proxies) that never key a campaign.')
param trustedSourceRanges string = ''

@description('CAMPAIGN_SHARED_ASNS: comma-separated autonomous systems shared at large that never key a campaign alone.')
param campaignSharedAsns string = ''

@description('BLOCK_CAMPAIGN_SOURCES: add campaign source ranges to the Conditional Access named location BLOCK_LOCATION_ID.')
param blockCampaignSources bool = false

@description('SOURCE_BLOCK_HOURS: how long a blocked campaign source range stays in the named location.')
@minValue(1)
@maxValue(720)
param sourceBlockHours int = 24

@description('BLOCK_LOCATION_ID: the IP named location campaign sources go to (mfa-responder setup --block-sources creates it).')
param blockLocationId string = ''

@description('MAX_PROMPTS_PER_USER: bound on the prompts remembered per user.')
@minValue(50)
@maxValue(2000)
param maxPromptsPerUser int = 500

@description('SIGNIN_CATEGORIES: sign-in log categories to read.')
@allowed([
  'SignInLogs'
  'SignInLogs,NonInteractiveUserSignInLogs'
  'NonInteractiveUserSignInLogs'
  'NonInteractiveUserSignInLogs,SignInLogs'
])
param signinCategories string = 'SignInLogs,NonInteractiveUserSignInLogs'

@description('STATE_TABLE_NAME: the table for per-user state and incidents (created here).')
@minLength(3)
@maxLength(63)
param stateTableName string = 'mfaResponderState'

@description('EVENTHUB_NAME: the sign-in hub (created here; the diagnostic setting streams to it).')
@minLength(1)
@maxLength(256)
param eventhubName string = 'entra-signins'

@description('EVENTHUB_CONSUMER_GROUP: the responder\'s own consumer group (created here unless $Default).')
@minLength(1)
@maxLength(50)
param eventhubConsumerGroup string = 'mfa-responder'

@description('CONTAINMENT_MODE: dry-run (default) records what would be done; live contains through Microsoft Graph.')
@allowed(['dry-run', 'live'])
param containmentMode string = 'dry-run'

@description('PUSH_BLOCK_MODE: group (reversible) or remove-method.')
@allowed(['group', 'remove-method'])
param pushBlockMode string = 'group'

@description('PUSH_BLOCK_GROUP_ID: object id of the push-block group (mfa-responder setup prints it). Required when live in group mode.')
@maxLength(36)
param pushBlockGroupId string = ''

@description('CONFIRM_COMPROMISED: also confirm the user compromised in Identity Protection (Entra ID P2).')
param confirmCompromised bool = false

@description('DISABLE_ACCOUNT: also disable the account, then revoke sessions again.')
param disableAccount bool = false

@description('REMOVE_NEW_METHODS: after a method registered during an attack, or an approval during one, delete the methods created since it began.')
param removeNewMethods bool = true

@description('RESET_PASSWORD: also set a random password the user must change (not for synced users).')
param resetPassword bool = false

@description('NOTIFY_WEBHOOK_URL: where notices are POSTed (a Teams workflow URL carries a signature: a secret).')
@secure()
param notifyWebhookUrl string = ''

@description('NOTIFY_FORMAT: json (the incident as JSON, any receiver) or teams (an Adaptive Card for a Teams Workflows webhook).')
@allowed(['json', 'teams'])
param notifyFormat string = 'json'

@description('SENTINEL_WORKSPACE_ID: the Sentinel workspace resource id; Teams cards link to its incidents (empty: no link).')
param sentinelWorkspaceId string = ''

@description('RUNBOOK_URL: the https URL of your release guide; Teams cards link to it (empty: no link).')
param runbookUrl string = ''

@description('NEVER_CONTAIN: comma-separated object ids and UPNs never contained (break-glass accounts).')
param neverContain string = ''

@description('NEVER_CONTAIN_GROUP_IDS: comma-separated group ids whose members are never contained.')
param neverContainGroupIds string = ''

@description('DRILL_USER_IDS: comma-separated canary user object ids a drill may run against (always dry-run).')
param drillUserIds string = ''

@description('ALLOW_NO_BREAK_GLASS: true lets live mode run with both never-contain lists empty.')
param allowNoBreakGlass bool = false

@description('MAX_CONTAINMENTS_PER_HOUR: tenant-wide circuit breaker.')
@minValue(1)
@maxValue(10000)
param maxContainmentsPerHour int = 10

@description('CONTAINMENT_COOLDOWN_MINUTES: a user contained within this time is not contained again.')
@minValue(0)
@maxValue(10080)
param containmentCooldownMinutes int = 60

@description('CONTAINMENT_TIMER_SCHEDULE: six-field NCRONTAB schedule of the retry timer.')
@minLength(11)
param containmentTimerSchedule string = '0 */1 * * * *'

@description('MAX_STEP_ATTEMPTS: attempts of a failing step before the incident needs attention.')
@minValue(1)
@maxValue(50)
param maxStepAttempts int = 6

@description('RELEASE_KEY_SHA256: SHA-256 hashes (hex, comma-separated) of the releaseUser function keys release accepts.')
param releaseKeySha256 string = ''

@description('NOTICE_RETRY_HOURS: how long a failing notice or Sentinel row is retried (exponential backoff) before it is given up.')
@minValue(1)
@maxValue(168)
param noticeRetryHours int = 24

@description('READBACK_WINDOW_MINUTES: how long a change that does not read back yet (directory replication) is checked again.')
@minValue(1)
@maxValue(240)
param readbackWindowMinutes int = 30

@description('GRAPH_CONCURRENCY: Graph requests and containment runs in flight at once per worker.')
@minValue(1)
@maxValue(32)
param graphConcurrency int = 4

@description('GRAPH_BASE_URL: the Microsoft Graph endpoint of your cloud.')
@allowed([
  'https://graph.microsoft.com'
  'https://graph.microsoft.us'
  'https://dod-graph.microsoft.us'
  'https://microsoftgraph.chinacloudapi.cn'
])
param graphBaseUrl string = 'https://graph.microsoft.com'

@description('GRAPH_CALL_TIMEOUT_SECONDS: timeout of one Graph request.')
@minValue(1)
@maxValue(120)
param graphCallTimeoutSeconds int = 15

@description('GRAPH_STEP_BUDGET_SECONDS: time one containment step may spend on retries.')
@minValue(5)
@maxValue(600)
param graphStepBudgetSeconds int = 90

@description('LAG_WARNING_MINUTES: how far behind the sign-in hub the responder may fall before the timer warns and doctor and /api/health fail.')
@minValue(1)
@maxValue(1440)
param lagWarningMinutes int = 10

// Not a setting: who may run mfa-responder drill (Azure Event Hubs Data Sender on the sign-in hub; app/drill-sender.bicep).
@description('Object id of a person, group or pipeline that may run mfa-responder drill. Empty: nobody.')
param drillSenderPrincipalId string = ''

@description('Kind of drillSenderPrincipalId.')
@allowed(['User', 'Group', 'ServicePrincipal'])
param drillSenderPrincipalType string = 'User'

// Not a setting: whoever deploys (azd sets AZURE_PRINCIPAL_ID) gets read access to the deployment container only, so
// that the predeploy hook can tell when this deployment's storage roles work. Empty: the deploying identity.
@description('Object id of the deploying user or pipeline (azd: AZURE_PRINCIPAL_ID). Empty: the identity that runs the deployment.')
param deployerPrincipalId string = ''

// Checks that span settings, or that a parameter type cannot express, made as the app makes them at start-up
// (the loaders in shared/settings/). Each failed check fails the deployment with its message.

// TIMEOUT_WEIGHT as the app reads it: digits, optionally a point and digits, from 0 to 1. int() is reached only when
// the parts are digits (the conditional operator evaluates one branch).
var decimalDigits = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']
var timeoutWeightParts = split(timeoutWeight, '.')
var timeoutWeightWellFormed = length(timeoutWeightParts) <= 2 && empty(filter(
  timeoutWeightParts,
  part => empty(part) || !empty(reduce(decimalDigits, part, (rest, digit) => replace(rest, digit, '')))
))
var timeoutWeightFraction = length(timeoutWeightParts) == 2 ? last(timeoutWeightParts) : ''
var timeoutWeightValid = timeoutWeightWellFormed
  ? int(first(timeoutWeightParts)) == 0 || (int(first(timeoutWeightParts)) == 1 && empty(replace(timeoutWeightFraction, '0', '')))
  : false

var settingProblems = filter(
  [
    containmentMode == 'live' && empty(trim(neverContain)) && empty(trim(neverContainGroupIds)) && !allowNoBreakGlass
      ? 'CONTAINMENT_MODE=live needs a break-glass exclusion: set NEVER_CONTAIN or NEVER_CONTAIN_GROUP_IDS (or, to contain without one, ALLOW_NO_BREAK_GLASS=true).'
      : ''
    containmentMode == 'live' && pushBlockMode == 'group' && empty(trim(pushBlockGroupId))
      ? 'CONTAINMENT_MODE=live with PUSH_BLOCK_MODE=group needs PUSH_BLOCK_GROUP_ID (mfa-responder setup prints it).'
      : ''
    timeoutWeightValid ? '' : 'TIMEOUT_WEIGHT must be a number from 0 to 1, such as 0.5.'
    lateEventToleranceHours * 60 >= denialWindowMinutes
      ? ''
      : 'LATE_EVENT_TOLERANCE_HOURS must cover DENIAL_WINDOW_MINUTES.'
    length(split(containmentTimerSchedule, ' ')) == 6 && !contains(split(containmentTimerSchedule, ' '), '')
      ? ''
      : 'CONTAINMENT_TIMER_SCHEDULE must be a six-field NCRONTAB expression such as "0 */1 * * * *".'
  ],
  problem => !empty(problem)
)

// Every product setting, as the function app receives it (strings). The checks above gate the containment mode, so
// a deployment with a problem fails before the function app gets any setting.
var productSettings = {
  DENIAL_THRESHOLD: string(denialThreshold)
  DENIAL_WINDOW_MINUTES: string(denialWindowMinutes)
  TIMEOUT_WEIGHT: timeoutWeight
  SPAM_THEN_SUCCESS_MIN_DENIALS: string(spamThenSuccessMinDenials)
  SUSTAINED_WINDOW_HOURS: string(sustainedWindowHours)
  SUSTAINED_THRESHOLD: string(sustainedThreshold)
  REMOVAL_LOOKBACK_MINUTES: string(removalLookbackMinutes)
  FRAUD_REPORT_TRIGGER: fraudReportTrigger ? 'true' : 'false'
  LATE_EVENT_TOLERANCE_HOURS: string(lateEventToleranceHours)
  MAX_CLOCK_SKEW_MINUTES: string(maxClockSkewMinutes)
  AUDIT_CATEGORIES: auditCategories
  PERSISTENCE_WINDOW_HOURS: string(persistenceWindowHours)
  MAX_PROMPTS_PER_USER: string(maxPromptsPerUser)
  CAMPAIGN_WINDOW_MINUTES: string(campaignWindowMinutes)
  CAMPAIGN_MIN_USERS: string(campaignMinUsers)
  CAMPAIGN_MAX_USERS: string(campaignMaxUsers)
  TRUSTED_SOURCE_RANGES: trustedSourceRanges
  CAMPAIGN_SHARED_ASNS: campaignSharedAsns
  BLOCK_CAMPAIGN_SOURCES: blockCampaignSources ? 'true' : 'false'
  SOURCE_BLOCK_HOURS: string(sourceBlockHours)
  BLOCK_LOCATION_ID: blockLocationId
  SIGNIN_CATEGORIES: signinCategories
  STATE_TABLE_NAME: stateTableName
  EVENTHUB_NAME: eventhubName
  EVENTHUB_CONSUMER_GROUP: eventhubConsumerGroup
  CONTAINMENT_MODE: empty(settingProblems) ? containmentMode : fail(join(settingProblems, ' '))
  PUSH_BLOCK_MODE: pushBlockMode
  PUSH_BLOCK_GROUP_ID: pushBlockGroupId
  CONFIRM_COMPROMISED: confirmCompromised ? 'true' : 'false'
  DISABLE_ACCOUNT: disableAccount ? 'true' : 'false'
  REMOVE_NEW_METHODS: removeNewMethods ? 'true' : 'false'
  RESET_PASSWORD: resetPassword ? 'true' : 'false'
  NEVER_CONTAIN: neverContain
  NEVER_CONTAIN_GROUP_IDS: neverContainGroupIds
  DRILL_USER_IDS: drillUserIds
  ALLOW_NO_BREAK_GLASS: allowNoBreakGlass ? 'true' : 'false'
  MAX_CONTAINMENTS_PER_HOUR: string(maxContainmentsPerHour)
  CONTAINMENT_COOLDOWN_MINUTES: string(containmentCooldownMinutes)
  CONTAINMENT_TIMER_SCHEDULE: containmentTimerSchedule
  MAX_STEP_ATTEMPTS: string(maxStepAttempts)
  RELEASE_KEY_SHA256: releaseKeySha256
  NOTICE_RETRY_HOURS: string(noticeRetryHours)
  READBACK_WINDOW_MINUTES: string(readbackWindowMinutes)
  GRAPH_CONCURRENCY: string(graphConcurrency)
  GRAPH_BASE_URL: graphBaseUrl
  GRAPH_CALL_TIMEOUT_SECONDS: string(graphCallTimeoutSeconds)
  GRAPH_STEP_BUDGET_SECONDS: string(graphStepBudgetSeconds)
  NOTIFY_FORMAT: notifyFormat
  SENTINEL_WORKSPACE_ID: sentinelWorkspaceId
  RUNBOOK_URL: runbookUrl
  LAG_WARNING_MINUTES: string(lagWarningMinutes)
}

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
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
    productSettings: productSettings
    notifyWebhookUrl: notifyWebhookUrl
    eventHubName: eventhubName
    consumerGroupName: eventhubConsumerGroup
    stateTableName: stateTableName
    eventHubPartitionCount: eventHubPartitionCount
    maximumInstanceCount: maximumInstanceCount
    adminAuthClientId: adminAuthClientId
    incidentLog: incidentLog
    incidentLogWorkspaceId: incidentLogWorkspaceId
    sentinelAnalyticRule: sentinelAnalyticRule
    drillSenderPrincipalId: drillSenderPrincipalId
    drillSenderPrincipalType: drillSenderPrincipalType
    deployerPrincipalId: empty(deployerPrincipalId) ? deployer().objectId : deployerPrincipalId
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
output STATE_TABLE_NAME string = stateTableName
output DEPLOYMENT_CONTAINER_URL string = resources.outputs.deploymentContainerUrl
output KEY_VAULT_NAME string = resources.outputs.keyVaultName
