import { z } from 'zod';

import { AUDIT_CATEGORIES } from '../signin/auditLog';
import { USER_SIGNIN_CATEGORIES } from '../signin/parseSignIn';
import { CONTAINMENT_MODES, NOTIFY_FORMATS, PUSH_BLOCK_MODES } from './containmentModes';
import { CAMPAIGN_SETTINGS } from './campaign/campaignSettings';
import { LONG_WINDOW_SETTINGS } from './longWindowSettings';
import {
    appInsightsAuthentication,
    appInsightsConnectionString,
    bool,
    csv,
    csvOrNone,
    emulatorConnectionString,
    graphBaseUrl,
    hostName,
    int,
    lowerCaseList,
    num,
    spec,
    UNRESOLVED_KEY_VAULT_REFERENCE,
} from './settingSchemas';

export type { SettingSpec } from './settingSchemas';

/**
 * Every setting the responder reads, in one place: its parser, its default and what it does (each entry is a
 * SettingSpec, settingSchemas.ts). docs/settings.md's settings table mirrors this list (a test checks that it names every
 * one). Campaign detection's settings are campaignSettings.ts, spread in here.
 */
export const SETTINGS = {
    DENIAL_THRESHOLD: spec({
        schema: int(1, 1000),
        default: '5',
        accepts: 'an integer from 1 to 1000',
        description: 'Weighted push denials within DENIAL_WINDOW_MINUTES that open an incident.',
    }),
    DENIAL_WINDOW_MINUTES: spec({
        schema: int(1, 1440),
        default: '10',
        accepts: 'an integer from 1 to 1440',
        description:
            'Sliding window, by event time, for the threshold and spam-then-success triggers; also the quiet gap that ends an attack episode.',
    }),
    TIMEOUT_WEIGHT: spec({
        schema: num(0, 1),
        default: '0.5',
        accepts: 'a number from 0 to 1',
        description:
            'How much an unanswered push counts towards the threshold (0 ignores timeouts, 1 counts them as denials).',
    }),
    SPAM_THEN_SUCCESS_MIN_DENIALS: spec({
        schema: int(1, 1000),
        default: '3',
        accepts: 'an integer from 1 to 1000',
        description:
            'Weighted denials within the window before a fresh MFA approval that open a spam-then-success incident at once.',
    }),
    // The long window and the removal window (issue 17): in their own file, the table's continuation.
    ...LONG_WINDOW_SETTINGS,
    FRAUD_REPORT_TRIGGER: spec({
        schema: bool,
        default: 'true',
        accepts: 'true or false',
        description: 'A single "reported fraud" answer opens an incident at once.',
    }),
    LATE_EVENT_TOLERANCE_HOURS: spec({
        schema: int(1, 168),
        default: '24',
        accepts: 'an integer from 1 to 168',
        description:
            'How far behind the newest event of a user a late record still counts; older prompts are forgotten, and idle user state expires after this long.',
    }),
    MAX_CLOCK_SKEW_MINUTES: spec({
        schema: int(1, 1440),
        default: '60',
        accepts: 'an integer from 1 to 1440',
        description:
            "A record dated further than this ahead of the wall clock is rejected as future-time: it never moves a user's clock or the expiry of their state.",
    }),
    MAX_PROMPTS_PER_USER: spec({
        schema: int(50, 2000),
        default: '500',
        accepts: 'an integer from 50 to 2000',
        description: 'Bound on the prompts remembered per user (newest kept), which bounds the size of a state row.',
    }),
    SIGNIN_CATEGORIES: spec({
        schema: csv(USER_SIGNIN_CATEGORIES),
        default: USER_SIGNIN_CATEGORIES.join(','),
        accepts: `a comma-separated list of ${USER_SIGNIN_CATEGORIES.join(', ')}`,
        description:
            'Sign-in log categories to read; all others (service principals, managed identities) are dropped unread.',
    }),
    AUDIT_CATEGORIES: spec({
        schema: csvOrNone(AUDIT_CATEGORIES),
        default: AUDIT_CATEGORIES.join(','),
        accepts: `${AUDIT_CATEGORIES.join(', ')}, or none`,
        description:
            'Audit log categories to read for security-information changes (a method registered after an attack); none reads no audit records.',
    }),
    PERSISTENCE_WINDOW_HOURS: spec({
        schema: int(1, 720),
        default: '24',
        accepts: 'an integer from 1 to 720',
        description:
            "After an attack that was never released, how long a method registered for the user is taken as the attacker's (method-registered-after-attack).",
    }),
    ...CAMPAIGN_SETTINGS,
    STATE_TABLE_NAME: spec({
        schema: z.string().regex(/^[A-Za-z][A-Za-z0-9]{2,62}$/),
        default: 'mfaResponderState',
        accepts: '3 to 63 letters and digits, starting with a letter',
        description: 'Table that holds per-user state and incidents.',
    }),
    STATE_TABLE_ENDPOINT: spec({
        schema: z.url({ protocol: /^https?$/ }),
        accepts: 'a URL such as https://<account>.table.core.windows.net',
        description:
            'Table service endpoint, reached with the managed identity (AZURE_CLIENT_ID). When unset, STATE_TABLE_CONNECTION_STRING, then AzureWebJobsStorage__tableServiceUri / __accountName / AzureWebJobsStorage are used.',
    }),
    STATE_TABLE_CONNECTION_STRING: spec({
        schema: z.string().min(1),
        accepts: 'a storage connection string (local development only, e.g. UseDevelopmentStorage=true)',
        description:
            'Connection string for the state table; for Azurite and local runs. Production uses STATE_TABLE_ENDPOINT.',
        localOnly: true,
    }),
    AZURE_CLIENT_ID: spec({
        schema: z.guid(),
        accepts: 'a GUID',
        description: 'Client id of the user-assigned managed identity used for Table Storage and Microsoft Graph.',
    }),
    EVENTHUB_NAME: spec({
        schema: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,255}$/),
        default: 'entra-signins',
        accepts: 'an Event Hub name',
        description:
            'Event Hub that Entra diagnostic settings stream sign-in logs to (read by the trigger as %EVENTHUB_NAME%).',
    }),
    EVENTHUB_CONSUMER_GROUP: spec({
        schema: z.string().regex(/^[A-Za-z0-9$][A-Za-z0-9._-]{0,49}$/),
        default: '$Default',
        accepts: 'a consumer group name',
        description: 'Consumer group of the responder; give it its own so that other readers do not steal events.',
    }),
    CONTAINMENT_MODE: spec({
        schema: z.enum(CONTAINMENT_MODES),
        default: 'dry-run',
        accepts: 'dry-run or live',
        description: 'dry-run records every containment step as "dry-run" and makes no Graph write; live contains.',
    }),
    PUSH_BLOCK_MODE: spec({
        schema: z.enum(PUSH_BLOCK_MODES),
        default: 'group',
        accepts: 'group or remove-method',
        description:
            "group adds the user to PUSH_BLOCK_GROUP_ID, which the Microsoft Authenticator policy excludes (reversible); remove-method deletes the user's Authenticator registrations.",
    }),
    PUSH_BLOCK_GROUP_ID: spec({
        schema: z.guid(),
        accepts: 'the object id (GUID) of a security group',
        description:
            'Group excluded from the Microsoft Authenticator policy (mfa-responder setup creates it). Required in live group mode.',
    }),
    CONFIRM_COMPROMISED: spec({
        schema: bool,
        default: 'false',
        accepts: 'true or false',
        description:
            'Also confirm the user compromised in Identity Protection (sets user risk to high; needs Entra ID P2).',
    }),
    DISABLE_ACCOUNT: spec({
        schema: bool,
        default: 'false',
        accepts: 'true or false',
        description:
            'Also disable the account, then revoke sessions again. Off by default: it locks the user out entirely.',
    }),
    NOTIFY_WEBHOOK_URL: spec({
        // In Azure the setting is a Key Vault reference that the platform replaces with the secret; when it cannot
        // (its identity's role not yet effective, the secret missing) the reference itself is what the app gets
        // (https://learn.microsoft.com/azure/app-service/app-service-key-vault-references). That must not stop
        // detection: it is accepted here and loadContainmentConfig says it loudly instead.
        schema: z.union([z.url({ protocol: /^https?$/ }), z.string().regex(UNRESOLVED_KEY_VAULT_REFERENCE)]),
        accepts: 'an http(s) URL (a Teams workflow or any JSON receiver)',
        description:
            'Where the incident summary is POSTed as JSON: what was done and how to release. A failing webhook never blocks containment. Its sig= is a secret: in Azure it is kept in Key Vault.',
        // A Workflows URL carries its signature (sig=): whoever holds it can post to the channel.
        secret: true,
    }),
    NOTICE_RETRY_HOURS: spec({
        schema: int(1, 168),
        default: '24',
        accepts: 'an integer from 1 to 168',
        description:
            'How long a failing notice or Sentinel row is retried (backoff 1, 2, 4, ... minutes, at most an hour apart) before it is given up and reported.',
    }),
    REMOVE_NEW_METHODS: spec({
        schema: bool,
        default: 'true',
        accepts: 'true or false',
        description:
            'After a method registered during an attack, or an approval during one: delete every method created since the attack began (then revoke sessions again). Methods without a creation date are listed for a person.',
    }),
    RESET_PASSWORD: spec({
        schema: bool,
        default: 'false',
        accepts: 'true or false',
        description:
            'Also set a random password the user must change at next sign-in (then revoke sessions again). Not for synced users (reset in on-premises AD). Needs User-PasswordProfile.ReadWrite.All and a directory role.',
    }),
    NEVER_CONTAIN: spec({
        // Each entry is checked as an object id or a UPN in loadContainmentConfig, which names the one that is not.
        schema: lowerCaseList(z.string()),
        default: '',
        accepts: 'a comma-separated list of user object ids and UPNs',
        description:
            'Users never contained (break-glass accounts belong here); their incidents are still recorded and notified.',
    }),
    NEVER_CONTAIN_GROUP_IDS: spec({
        schema: lowerCaseList(z.guid(), 20),
        default: '',
        accepts: 'a comma-separated list of at most 20 group object ids',
        description:
            'Members (direct or nested) are never contained; checked through Graph before acting. If the check fails, the user is not contained and the SOC is alerted.',
    }),
    RELEASE_KEY_SHA256: spec({
        schema: lowerCaseList(z.string().regex(/^[0-9a-f]{64}$/), 10),
        default: '',
        accepts: 'a comma-separated list of at most 10 SHA-256 hashes (64 hex digits) of function keys',
        description:
            'Hashes of the function keys POST /api/users/{id}/release accepts (keys of the releaseUser function): without App Service authentication, release over HTTP needs one of these keys, never a host key.',
    }),
    DRILL_USER_IDS: spec({
        schema: lowerCaseList(z.guid(), 50),
        default: '',
        accepts: 'a comma-separated list of at most 50 user object ids',
        description:
            'Canary users a drill may run against (mfa-responder drill). A drill incident is always dry-run, notified as a drill and outside the circuit breaker; drill records for anyone else are refused (rejected as drill-refused).',
    }),
    ALLOW_NO_BREAK_GLASS: spec({
        schema: bool,
        default: 'false',
        accepts: 'true or false',
        description:
            'In live mode the responder refuses to start while NEVER_CONTAIN and NEVER_CONTAIN_GROUP_IDS are both empty; true lets it contain without any break-glass exclusion.',
    }),
    MAX_CONTAINMENTS_PER_HOUR: spec({
        schema: int(1, 10000),
        default: '10',
        accepts: 'an integer from 1 to 10000',
        description:
            'Tenant-wide circuit breaker: past this many containments in an hour, incidents are recorded and notified but not contained.',
    }),
    CONTAINMENT_COOLDOWN_MINUTES: spec({
        schema: int(0, 10080),
        default: '60',
        accepts: 'an integer from 0 to 10080',
        description:
            'After a user is contained, new incidents for that user within this time are recorded but not contained again.',
    }),
    CONTAINMENT_TIMER_SCHEDULE: spec({
        schema: z.string().regex(/^\S+( \S+){5}$/),
        default: '0 */1 * * * *',
        accepts: 'a six-field NCRONTAB expression',
        description: 'When the timer retries failed and pending steps and expires idle state.',
    }),
    MAX_STEP_ATTEMPTS: spec({
        schema: int(1, 50),
        default: '6',
        accepts: 'an integer from 1 to 50',
        description:
            'Attempts of a failing containment step (with backoff) before the incident needs attention. A 403 needs attention at once.',
    }),
    READBACK_WINDOW_MINUTES: spec({
        schema: int(1, 240),
        default: '30',
        accepts: 'an integer from 1 to 240',
        description:
            'How long a push block or a deletion that does not read back yet (directory replication) is checked again by the timer before the incident needs attention.',
    }),
    GRAPH_BASE_URL: spec({
        schema: graphBaseUrl,
        default: 'https://graph.microsoft.com',
        accepts: 'an https URL such as https://graph.microsoft.us (no query; a trailing /v1.0 or /beta is dropped)',
        description: 'Microsoft Graph endpoint (national clouds: see docs/permissions.md); the token scope follows it.',
    }),
    GRAPH_CALL_TIMEOUT_SECONDS: spec({
        schema: int(1, 120),
        default: '15',
        accepts: 'an integer from 1 to 120',
        description: 'Timeout of one Graph request.',
    }),
    GRAPH_CONCURRENCY: spec({
        schema: int(1, 32),
        default: '4',
        accepts: 'an integer from 1 to 32',
        description:
            'Graph requests (and containment runs) in flight at once per worker, whatever the number of incidents.',
    }),
    GRAPH_STEP_BUDGET_SECONDS: spec({
        schema: int(5, 600),
        default: '90',
        accepts: 'an integer from 5 to 600',
        description:
            'Total time one containment step may spend on retries (429/5xx/network) before it is left to the timer.',
    }),
    // --- SOC loop: incidents in Microsoft Sentinel (Logs Ingestion API) and Teams cards ---------------------------
    LOGS_INGESTION_ENDPOINT: spec({
        schema: z.url({ protocol: /^https$/ }).transform((u) => u.replace(/\/+$/, '')),
        accepts: "an https URL: the data collection rule's logsIngestion endpoint",
        description:
            'Where incident rows go (Logs Ingestion API), reached with the managed identity; with LOGS_INGESTION_RULE_ID. Unset: no rows are sent.',
    }),
    LOGS_INGESTION_RULE_ID: spec({
        schema: z
            .string()
            .trim()
            .regex(/^dcr-[0-9a-f]{32}$/i)
            .transform((s) => s.toLowerCase()),
        accepts: "the data collection rule's immutable id, dcr- and 32 hex digits",
        description:
            'Immutable id of the data collection rule that routes incident rows to the Log Analytics table (the Bicep output).',
    }),
    LOGS_INGESTION_STREAM: spec({
        schema: z.string().regex(/^Custom-[A-Za-z][A-Za-z0-9_]{0,99}$/),
        default: 'Custom-MfaFatigueIncidents_CL',
        accepts: 'a stream name declared in the data collection rule, Custom-<name>',
        description: "The data collection rule's stream for incident rows.",
    }),
    NOTIFY_FORMAT: spec({
        schema: z.enum(NOTIFY_FORMATS),
        default: 'json',
        accepts: 'json or teams',
        description:
            'json POSTs the incident as JSON; teams POSTs an Adaptive Card (1.4) in the envelope a Teams Workflows webhook trigger expects.',
    }),
    SENTINEL_WORKSPACE_ID: spec({
        schema: z
            .string()
            .trim()
            .regex(
                /^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/[^/]{1,90}\/providers\/Microsoft\.OperationalInsights\/workspaces\/[A-Za-z0-9-]{4,63}$/i,
            ),
        accepts:
            'a Log Analytics workspace resource id, /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.OperationalInsights/workspaces/<name>',
        description:
            'The Microsoft Sentinel workspace: the Teams card gets a button to its incidents. Unset: no such button.',
    }),
    RUNBOOK_URL: spec({
        schema: z.url({ protocol: /^https$/ }),
        accepts: 'an https URL',
        description:
            "Where the Teams card's release button points: your copy of this project's release guide (docs/operate.md, Releasing a user) or your own runbook. Unset: the card shows the release command only.",
    }),
    // Telemetry to Application Insights (issue 12): the platform's own settings, which the worker reads too.
    APPLICATIONINSIGHTS_CONNECTION_STRING: spec({
        schema: appInsightsConnectionString,
        accepts: 'an Application Insights connection string (InstrumentationKey=<GUID>;IngestionEndpoint=...)',
        description:
            'Where the function app sends its custom metrics and events (OpenTelemetry, see Telemetry); the Functions host sends its own logs there too. Unset: the worker sends nothing.',
    }),
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: spec({
        schema: appInsightsAuthentication,
        accepts:
            'Authorization=AAD, with ClientId=<GUID> of a user-assigned identity (ClientId=<GUID>;Authorization=AAD)',
        description:
            'Entra ID authentication for telemetry ingestion (the component has local auth off): the host and the worker both send with this identity, which needs Monitoring Metrics Publisher on Application Insights.',
    }),
    // --- doctor, drill and the lag warning (issue 11) ---
    EventHubConnection__fullyQualifiedNamespace: spec({
        schema: hostName,
        accepts: 'a host name such as <namespace>.servicebus.windows.net',
        description:
            "The trigger's identity-based Event Hubs connection (EventHubConnection__credential=managedidentity, EventHubConnection__clientId). Read by the host; the doctor, the drill and the timer's lag check reach the hub through it too.",
    }),
    EVENTHUB_CONNECTION_STRING: spec({
        schema: emulatorConnectionString,
        accepts: 'an emulator connection string (Endpoint=sb://127.0.0.1:5672;…;UseDevelopmentEmulator=true)',
        description:
            'For a local Event Hubs emulator only (doctor, drill, lag check); against Azure, EventHubConnection__fullyQualifiedNamespace and an Entra sign-in are used instead.',
        localOnly: true,
        secret: true,
    }),
    LAG_WARNING_MINUTES: spec({
        schema: int(1, 1440),
        default: '10',
        accepts: 'an integer from 1 to 1440',
        description:
            'The timer logs a warning, and doctor and /api/health report a failure, when the responder is this far behind the sign-in hub.',
    }),
} as const;

export type SettingName = keyof typeof SETTINGS;

/** The typed value of a setting, as its schema parses it. */
export type SettingValue<K extends SettingName> = z.output<(typeof SETTINGS)[K]['schema']>;
