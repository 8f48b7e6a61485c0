import { z } from 'zod';

import type { DetectionPolicy } from './detection/policy';
import { ConfigError } from './errors';
import { AUDIT_CATEGORIES } from './signin/auditLog';
import { USER_SIGNIN_CATEGORIES } from './signin/parseSignIn';
import { upnForms } from './upn';

/**
 * Every setting the responder reads, in one place: its parser, its default and what it does. The README's settings
 * table mirrors this list (a test checks that it names every one).
 */
interface SettingSpec<T> {
    readonly schema: z.ZodType<T>;
    /** Text form of the default, or undefined when the setting has none. */
    readonly default?: string;
    /** What values are accepted, for the error message. */
    readonly accepts: string;
    readonly description: string;
    /** Only for local runs (never set in Azure); the infrastructure test skips it. */
    readonly localOnly?: boolean;
    /** Holds a key: an error message never repeats the value. */
    readonly secret?: boolean;
}

/**
 * The part of a setting's validation that a deployment template can check before the app starts: infra/main.bicep
 * gives the setting's parameter the same type and bounds (test/infra checks that it does). The helpers below record
 * it, so a new setting built with them is covered without further work.
 */
export type DeployConstraint =
    | { readonly type: 'int'; readonly min: number; readonly max: number }
    | { readonly type: 'decimal'; readonly min: number; readonly max: number }
    | { readonly type: 'bool' }
    | { readonly type: 'oneOf'; readonly allowed: readonly string[] };

const deployConstraints = new WeakMap<z.ZodType, DeployConstraint>();
function constrained<S extends z.ZodType>(schema: S, constraint: DeployConstraint): S {
    deployConstraints.set(schema, constraint);
    return schema;
}

const int = (min: number, max: number) =>
    constrained(
        z
            .string()
            .trim()
            .regex(/^-?\d+$/)
            .transform(Number)
            .pipe(z.number().int().min(min).max(max)),
        { type: 'int', min, max },
    );
const num = (min: number, max: number) =>
    constrained(
        z
            .string()
            .trim()
            .regex(/^-?\d+(\.\d+)?$/)
            .transform(Number)
            .pipe(z.number().min(min).max(max)),
        { type: 'decimal', min, max },
    );
const bool = constrained(
    z
        .string()
        .trim()
        .toLowerCase()
        .pipe(z.enum(['true', 'false']))
        .transform((v) => v === 'true'),
    { type: 'bool' },
);
const csv = <T extends string>(values: readonly [T, ...T[]]) =>
    constrained(
        z
            .string()
            .transform((s) =>
                s
                    .split(',')
                    .map((v) => v.trim())
                    .filter(Boolean),
            )
            .pipe(z.array(z.enum(values)).min(1)),
        { type: 'oneOf', allowed: orderedSelections(values) },
    );

/** Every non-empty list of distinct values, in every order, joined with commas: the lists `csv` accepts, unspaced. */
function orderedSelections(values: readonly string[]): string[] {
    const lists: string[][] = [];
    const extend = (list: string[]) => {
        if (list.length > 0) lists.push(list);
        for (const v of values) if (!list.includes(v)) extend([...list, v]);
    };
    extend([]);
    return lists.map((l) => l.join(','));
}

/** A list separated by commas, semicolons or spaces, lower-cased (ids and UPNs compare case-insensitively). */
const lowerCaseList = <T>(item: z.ZodType<T, string>, max = 1000) =>
    z
        .string()
        .transform((s) =>
            s
                .split(/[,;\s]+/)
                .map((v) => v.trim().toLowerCase())
                .filter(Boolean),
        )
        .pipe(z.array(item).max(max));

function spec<T>(s: SettingSpec<T>): SettingSpec<T> {
    return s;
}

/** An app setting the platform could not resolve from Key Vault arrives as the reference itself. */
const UNRESOLVED_KEY_VAULT_REFERENCE = /^@Microsoft\.KeyVault\(.*\)$/;

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
        schema: z
            .string()
            .trim()
            .transform((s) =>
                s.toLowerCase() === 'none'
                    ? []
                    : s
                          .split(',')
                          .map((v) => v.trim())
                          .filter(Boolean),
            )
            .pipe(z.array(z.enum(AUDIT_CATEGORIES))),
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
        schema: z.enum(['dry-run', 'live']),
        default: 'dry-run',
        accepts: 'dry-run or live',
        description: 'dry-run records every containment step as "dry-run" and makes no Graph write; live contains.',
    }),
    PUSH_BLOCK_MODE: spec({
        schema: z.enum(['group', 'remove-method']),
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
        secret: true,
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
        schema: lowerCaseList(z.union([z.guid(), z.string().regex(/^[^@\s]+@[^@\s]+$/)])),
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
            'Attempts of a failing containment step (with backoff) before the incident needs attention. A 403 needs attention at once. Also bounds the attempts of a notice, and of an incident row per state.',
    }),
    GRAPH_BASE_URL: spec({
        schema: z.url({ protocol: /^https$/ }).transform((u) => u.replace(/\/+$/, '')),
        default: 'https://graph.microsoft.com',
        accepts: 'an https URL such as https://graph.microsoft.us',
        description: 'Microsoft Graph endpoint (national clouds: see README); the token scope follows it.',
    }),
    GRAPH_CALL_TIMEOUT_SECONDS: spec({
        schema: int(1, 120),
        default: '15',
        accepts: 'an integer from 1 to 120',
        description: 'Timeout of one Graph request.',
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
        schema: z.enum(['json', 'teams']),
        default: 'json',
        accepts: 'json or teams',
        description:
            'json POSTs the incident as JSON; teams POSTs an Adaptive Card (1.4) in the envelope a Teams Workflows webhook trigger expects.',
    }),
    // Telemetry to Application Insights (issue 12): the platform's own settings, which the worker reads too.
    APPLICATIONINSIGHTS_CONNECTION_STRING: spec({
        schema: z
            .string()
            .trim()
            .regex(
                /(^|;)\s*InstrumentationKey\s*=\s*[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\s*(;|$)/i,
            ),
        accepts: 'an Application Insights connection string (InstrumentationKey=<GUID>;IngestionEndpoint=...)',
        description:
            'Where the function app sends its custom metrics and events (OpenTelemetry, see Telemetry); the Functions host sends its own logs there too. Unset: the worker sends nothing.',
    }),
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: spec({
        schema: z
            .string()
            .trim()
            .regex(/^(ClientId=[0-9a-fA-F-]{36};)?Authorization=AAD(;ClientId=[0-9a-fA-F-]{36})?;?$/i),
        accepts:
            'Authorization=AAD, with ClientId=<GUID> of a user-assigned identity (ClientId=<GUID>;Authorization=AAD)',
        description:
            'Entra ID authentication for telemetry ingestion (the component has local auth off): the host and the worker both send with this identity, which needs Monitoring Metrics Publisher on Application Insights.',
    }),
    // --- doctor, drill and the lag warning (issue 11) ---
    EventHubConnection__fullyQualifiedNamespace: spec({
        schema: z
            .string()
            .trim()
            .toLowerCase()
            .regex(/^[a-z0-9][a-z0-9.-]{0,253}[a-z0-9]$/),
        accepts: 'a host name such as <namespace>.servicebus.windows.net',
        description:
            "The trigger's identity-based Event Hubs connection (EventHubConnection__credential=managedidentity, EventHubConnection__clientId). Read by the host; the doctor, the drill and the timer's lag check reach the hub through it too.",
    }),
    EVENTHUB_CONNECTION_STRING: spec({
        schema: z
            .string()
            .trim()
            .refine((s) => /(^|;)\s*UseDevelopmentEmulator\s*=\s*true\s*(;|$)/.test(s)),
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

type Env = Readonly<Record<string, string | undefined>>;

/** Reads one setting: its default when unset or empty, else its parsed value; a bad value is a ConfigError. */
export function readSetting<K extends SettingName>(
    env: Env,
    name: K,
): z.output<(typeof SETTINGS)[K]['schema']> | undefined {
    const s: SettingSpec<unknown> = SETTINGS[name];
    const raw = env[name];
    const text = raw === undefined || raw.trim() === '' ? s.default : raw;
    if (text === undefined) return undefined;
    const parsed = s.schema.safeParse(text);
    if (!parsed.success) {
        const shown = s.secret ? 'a value' : `the value ${JSON.stringify(String(raw).slice(0, 100))}`;
        throw new ConfigError(
            name,
            `Setting ${name} has ${shown}, but accepts ${s.accepts}` +
                (s.default !== undefined ? ` (default ${s.default}).` : '.'),
        );
    }
    return parsed.data as z.output<(typeof SETTINGS)[K]['schema']>;
}

/** What infra/main.bicep must check for a setting at deploy time, or undefined when a template cannot (free text). */
export function deployConstraint(name: SettingName): DeployConstraint | undefined {
    const schema: z.ZodType = SETTINGS[name].schema;
    const recorded = deployConstraints.get(schema);
    if (recorded) return recorded;
    if (schema instanceof z.ZodEnum) return { type: 'oneOf', allowed: schema.options.map(String) };
    return undefined;
}

function required<T>(value: T | undefined, name: SettingName): T {
    if (value === undefined) throw new ConfigError(name, `Setting ${name} is required (${SETTINGS[name].accepts}).`);
    return value;
}

export interface DetectionConfig {
    readonly policy: DetectionPolicy;
    readonly categories: ReadonlySet<string>;
    readonly auditCategories: ReadonlySet<string>;
    /** Users a drill may run against (lower-case object ids). */
    readonly drillUsers: ReadonlySet<string>;
}

export function loadDetectionConfig(env: Env): DetectionConfig {
    const windowMinutes = required(readSetting(env, 'DENIAL_WINDOW_MINUTES'), 'DENIAL_WINDOW_MINUTES');
    const toleranceHours = required(readSetting(env, 'LATE_EVENT_TOLERANCE_HOURS'), 'LATE_EVENT_TOLERANCE_HOURS');
    if (toleranceHours * 60 < windowMinutes) {
        throw new ConfigError(
            'LATE_EVENT_TOLERANCE_HOURS',
            `Setting LATE_EVENT_TOLERANCE_HOURS (${toleranceHours} h) must cover DENIAL_WINDOW_MINUTES (${windowMinutes} min).`,
        );
    }
    return {
        policy: {
            denialThreshold: required(readSetting(env, 'DENIAL_THRESHOLD'), 'DENIAL_THRESHOLD'),
            windowMs: windowMinutes * 60_000,
            timeoutWeight: required(readSetting(env, 'TIMEOUT_WEIGHT'), 'TIMEOUT_WEIGHT'),
            spamThenSuccessMinDenials: required(
                readSetting(env, 'SPAM_THEN_SUCCESS_MIN_DENIALS'),
                'SPAM_THEN_SUCCESS_MIN_DENIALS',
            ),
            fraudReportOpensIncident: required(readSetting(env, 'FRAUD_REPORT_TRIGGER'), 'FRAUD_REPORT_TRIGGER'),
            retentionMs: toleranceHours * 3_600_000,
            maxPromptsPerUser: required(readSetting(env, 'MAX_PROMPTS_PER_USER'), 'MAX_PROMPTS_PER_USER'),
            maxClockSkewMs: required(readSetting(env, 'MAX_CLOCK_SKEW_MINUTES'), 'MAX_CLOCK_SKEW_MINUTES') * 60_000,
            persistenceWindowMs:
                required(readSetting(env, 'PERSISTENCE_WINDOW_HOURS'), 'PERSISTENCE_WINDOW_HOURS') * 3_600_000,
        },
        categories: new Set(required(readSetting(env, 'SIGNIN_CATEGORIES'), 'SIGNIN_CATEGORIES')),
        auditCategories: new Set(required(readSetting(env, 'AUDIT_CATEGORIES'), 'AUDIT_CATEGORIES')),
        drillUsers: new Set(required(readSetting(env, 'DRILL_USER_IDS'), 'DRILL_USER_IDS')),
    };
}

/** Where the state table lives and how to reach it. */
export type StateTableConfig =
    | { readonly kind: 'endpoint'; readonly endpoint: string; readonly tableName: string; readonly clientId?: string }
    | { readonly kind: 'connectionString'; readonly connectionString: string; readonly tableName: string };

export function loadStateTableConfig(env: Env): StateTableConfig {
    const tableName = required(readSetting(env, 'STATE_TABLE_NAME'), 'STATE_TABLE_NAME');
    const clientId = readSetting(env, 'AZURE_CLIENT_ID');
    const identity = clientId ? { clientId } : {};
    const endpoint = readSetting(env, 'STATE_TABLE_ENDPOINT');
    if (endpoint) return { kind: 'endpoint', endpoint, tableName, ...identity };
    const connectionString = readSetting(env, 'STATE_TABLE_CONNECTION_STRING');
    if (connectionString) return { kind: 'connectionString', connectionString, tableName };
    // Fall back to the host's own storage, so that a deployment needs no extra setting.
    const hostTableUri = env.AzureWebJobsStorage__tableServiceUri;
    if (hostTableUri) return { kind: 'endpoint', endpoint: hostTableUri, tableName, ...identity };
    const account = env.AzureWebJobsStorage__accountName;
    if (account)
        return { kind: 'endpoint', endpoint: `https://${account}.table.core.windows.net`, tableName, ...identity };
    const hostConnection = env.AzureWebJobsStorage;
    if (hostConnection) return { kind: 'connectionString', connectionString: hostConnection, tableName };
    throw new ConfigError(
        'STATE_TABLE_ENDPOINT',
        'Setting STATE_TABLE_ENDPOINT is required (or STATE_TABLE_CONNECTION_STRING, or AzureWebJobsStorage__accountName): the responder has nowhere to keep its state.',
    );
}

export type ContainmentMode = 'dry-run' | 'live';
export type NotifyFormat = 'json' | 'teams';

/** The Logs Ingestion API target of incident rows: a data collection rule and its stream. */
export interface IncidentLogConfig {
    readonly endpoint: string;
    readonly ruleId: string;
    readonly stream: string;
}

/** Both the endpoint and the rule, or neither: half a configuration stops start-up naming the missing half. */
export function loadIncidentLogConfig(env: Env): IncidentLogConfig | undefined {
    const endpoint = readSetting(env, 'LOGS_INGESTION_ENDPOINT');
    const ruleId = readSetting(env, 'LOGS_INGESTION_RULE_ID');
    if (!endpoint && !ruleId) return undefined;
    if (!endpoint) {
        throw new ConfigError(
            'LOGS_INGESTION_ENDPOINT',
            "Setting LOGS_INGESTION_ENDPOINT is required when LOGS_INGESTION_RULE_ID is set (the data collection rule's logsIngestion endpoint).",
        );
    }
    if (!ruleId) {
        throw new ConfigError(
            'LOGS_INGESTION_RULE_ID',
            "Setting LOGS_INGESTION_RULE_ID is required when LOGS_INGESTION_ENDPOINT is set (the data collection rule's immutable id, dcr-...).",
        );
    }
    return { endpoint, ruleId, stream: required(readSetting(env, 'LOGS_INGESTION_STREAM'), 'LOGS_INGESTION_STREAM') };
}
export type PushBlockMode = 'group' | 'remove-method';

export interface ContainmentConfig {
    readonly mode: ContainmentMode;
    readonly pushBlockMode: PushBlockMode;
    readonly pushBlockGroupId?: string;
    readonly confirmCompromised: boolean;
    readonly disableAccount: boolean;
    readonly removeNewMethods: boolean;
    readonly resetPassword: boolean;
    readonly notifyWebhookUrl?: string;
    /** NOTIFY_WEBHOOK_URL is a Key Vault reference the platform could not resolve: notices cannot be sent. */
    readonly notifyWebhookUnresolved?: true;
    /** How notices are written: plain JSON, or a Teams Workflows Adaptive Card. */
    readonly notifyFormat: NotifyFormat;
    /** Where incident rows go (Sentinel's table); absent: none are sent. */
    readonly incidentLog?: IncidentLogConfig;
    /** Lower-case object ids and UPNs in every form they can take (NFC; a guest's #EXT# and home forms). */
    readonly neverContain: ReadonlySet<string>;
    readonly neverContainGroupIds: readonly string[];
    readonly maxContainmentsPerHour: number;
    readonly cooldownMs: number;
    readonly maxStepAttempts: number;
}

export function loadContainmentConfig(env: Env): ContainmentConfig {
    const mode = required(readSetting(env, 'CONTAINMENT_MODE'), 'CONTAINMENT_MODE');
    const pushBlockMode = required(readSetting(env, 'PUSH_BLOCK_MODE'), 'PUSH_BLOCK_MODE');
    const pushBlockGroupId = readSetting(env, 'PUSH_BLOCK_GROUP_ID')?.toLowerCase();
    if (mode === 'live' && pushBlockMode === 'group' && !pushBlockGroupId) {
        throw new ConfigError(
            'PUSH_BLOCK_GROUP_ID',
            'Setting PUSH_BLOCK_GROUP_ID is required when CONTAINMENT_MODE=live and PUSH_BLOCK_MODE=group (a group object id; `mfa-responder setup` creates the group).',
        );
    }
    const neverContain = required(readSetting(env, 'NEVER_CONTAIN'), 'NEVER_CONTAIN');
    const neverContainGroupIds = required(readSetting(env, 'NEVER_CONTAIN_GROUP_IDS'), 'NEVER_CONTAIN_GROUP_IDS');
    if (
        mode === 'live' &&
        neverContain.length === 0 &&
        neverContainGroupIds.length === 0 &&
        !required(readSetting(env, 'ALLOW_NO_BREAK_GLASS'), 'ALLOW_NO_BREAK_GLASS')
    ) {
        throw new ConfigError(
            'NEVER_CONTAIN',
            'CONTAINMENT_MODE=live needs a break-glass exclusion: set NEVER_CONTAIN (user object ids or UPNs) or NEVER_CONTAIN_GROUP_IDS (group object ids), so that an attack on your emergency accounts, or a bug, can never lock them out. To contain without any exclusion, set ALLOW_NO_BREAK_GLASS=true.',
        );
    }
    const webhook = readSetting(env, 'NOTIFY_WEBHOOK_URL');
    const incidentLog = loadIncidentLogConfig(env);
    return {
        mode,
        pushBlockMode,
        ...(pushBlockGroupId ? { pushBlockGroupId } : {}),
        confirmCompromised: required(readSetting(env, 'CONFIRM_COMPROMISED'), 'CONFIRM_COMPROMISED'),
        disableAccount: required(readSetting(env, 'DISABLE_ACCOUNT'), 'DISABLE_ACCOUNT'),
        removeNewMethods: required(readSetting(env, 'REMOVE_NEW_METHODS'), 'REMOVE_NEW_METHODS'),
        resetPassword: required(readSetting(env, 'RESET_PASSWORD'), 'RESET_PASSWORD'),
        ...(webhook && UNRESOLVED_KEY_VAULT_REFERENCE.test(webhook)
            ? { notifyWebhookUnresolved: true as const }
            : webhook
              ? { notifyWebhookUrl: webhook }
              : {}),
        notifyFormat: required(readSetting(env, 'NOTIFY_FORMAT'), 'NOTIFY_FORMAT'),
        ...(incidentLog ? { incidentLog } : {}),
        neverContain: new Set(neverContain.flatMap((v) => (v.includes('@') ? upnForms(v) : [v]))),
        neverContainGroupIds,
        maxContainmentsPerHour: required(readSetting(env, 'MAX_CONTAINMENTS_PER_HOUR'), 'MAX_CONTAINMENTS_PER_HOUR'),
        cooldownMs: required(readSetting(env, 'CONTAINMENT_COOLDOWN_MINUTES'), 'CONTAINMENT_COOLDOWN_MINUTES') * 60_000,
        maxStepAttempts: required(readSetting(env, 'MAX_STEP_ATTEMPTS'), 'MAX_STEP_ATTEMPTS'),
    };
}

export interface GraphConfig {
    readonly baseUrl: string;
    readonly clientId?: string;
    readonly callTimeoutMs: number;
    readonly stepBudgetMs: number;
}

export function loadGraphConfig(env: Env): GraphConfig {
    const clientId = readSetting(env, 'AZURE_CLIENT_ID');
    return {
        baseUrl: required(readSetting(env, 'GRAPH_BASE_URL'), 'GRAPH_BASE_URL'),
        ...(clientId ? { clientId } : {}),
        callTimeoutMs: required(readSetting(env, 'GRAPH_CALL_TIMEOUT_SECONDS'), 'GRAPH_CALL_TIMEOUT_SECONDS') * 1000,
        stepBudgetMs: required(readSetting(env, 'GRAPH_STEP_BUDGET_SECONDS'), 'GRAPH_STEP_BUDGET_SECONDS') * 1000,
    };
}

/**
 * Settings that are valid but weaken containment: said once at start-up, never a refusal to start. Once a user's
 * methods are deleted (remove-method mode), an attacker who holds the password may register their own at the next
 * sign-in, unless the password is reset too or registering security information is protected by Conditional Access.
 */
export function containmentWarnings(config: ContainmentConfig): string[] {
    const warnings: string[] = [];
    if (config.notifyWebhookUnresolved) {
        warnings.push(
            "NOTIFY_WEBHOOK_URL is a Key Vault reference the platform could not resolve, so no notice is sent (incidents are still detected, contained and logged). Check the reference's status (Environment variables in the portal, or mfa-responder doctor); once the identity's Key Vault Secrets User role works or the secret exists, restart the function app.",
        );
    }
    if (config.mode === 'live' && config.pushBlockMode === 'remove-method' && !config.resetPassword) {
        warnings.push(
            'PUSH_BLOCK_MODE=remove-method with RESET_PASSWORD=false: after the methods are deleted, whoever holds the password can register their own at the next sign-in. Set RESET_PASSWORD=true, or protect "Register security information" with a Conditional Access policy.',
        );
    }
    return warnings;
}

// --- Event Hubs and the host's checkpoints, for doctor, drill and the lag check (issue 11) ---

/** The sign-in hub as the responder's consumer group sees it, reached with an Entra identity or an emulator. */
export type EventHubConfig = {
    readonly eventHubName: string;
    readonly consumerGroup: string;
    /** As the host writes it into checkpoint paths: the namespace host name, lower case. */
    readonly fullyQualifiedNamespace: string;
} & ({ readonly kind: 'identity' } | { readonly kind: 'connectionString'; readonly connectionString: string });

/**
 * The hub, from EVENTHUB_CONNECTION_STRING (a local emulator) or EventHubConnection__fullyQualifiedNamespace (Azure,
 * with the runtime's credential); undefined when neither is set (the lag check then has nothing to read).
 */
export function loadEventHubConfig(env: Env): EventHubConfig | undefined {
    const eventHubName = required(readSetting(env, 'EVENTHUB_NAME'), 'EVENTHUB_NAME');
    const consumerGroup = required(readSetting(env, 'EVENTHUB_CONSUMER_GROUP'), 'EVENTHUB_CONSUMER_GROUP');
    const connectionString = readSetting(env, 'EVENTHUB_CONNECTION_STRING');
    if (connectionString) {
        const endpoint = /(?:^|;)\s*Endpoint\s*=\s*sb:\/\/([^;/:]+)/i.exec(connectionString)?.[1];
        if (!endpoint) {
            throw new ConfigError(
                'EVENTHUB_CONNECTION_STRING',
                'Setting EVENTHUB_CONNECTION_STRING has no Endpoint=sb://<host>[:port] part.',
            );
        }
        return {
            kind: 'connectionString',
            connectionString,
            fullyQualifiedNamespace: endpoint.toLowerCase(),
            eventHubName,
            consumerGroup,
        };
    }
    const fullyQualifiedNamespace = readSetting(env, 'EventHubConnection__fullyQualifiedNamespace');
    if (!fullyQualifiedNamespace) return undefined;
    return { kind: 'identity', fullyQualifiedNamespace, eventHubName, consumerGroup };
}

/** Where the Functions host keeps its Event Hubs checkpoints: the blobs of its own storage (AzureWebJobsStorage). */
export type CheckpointStoreConfig =
    | { readonly kind: 'endpoint'; readonly blobServiceUri: string }
    | { readonly kind: 'connectionString'; readonly connectionString: string };

const blobUri = z.url({ protocol: /^https?$/ });

/**
 * The host's storage, from the same settings the host reads (AzureWebJobsStorage__blobServiceUri, __accountName, or
 * the AzureWebJobsStorage connection string locally); undefined when none is set.
 */
export function loadCheckpointStoreConfig(env: Env): CheckpointStoreConfig | undefined {
    const uri = env.AzureWebJobsStorage__blobServiceUri?.trim();
    if (uri) {
        if (!blobUri.safeParse(uri).success) {
            throw new ConfigError(
                'AzureWebJobsStorage__blobServiceUri',
                `Setting AzureWebJobsStorage__blobServiceUri has the value ${JSON.stringify(uri.slice(0, 100))}, but accepts a URL such as https://<account>.blob.core.windows.net.`,
            );
        }
        return { kind: 'endpoint', blobServiceUri: uri };
    }
    const account = env.AzureWebJobsStorage__accountName?.trim();
    if (account) {
        if (!/^[a-z0-9]{3,24}$/.test(account)) {
            throw new ConfigError(
                'AzureWebJobsStorage__accountName',
                `Setting AzureWebJobsStorage__accountName has the value ${JSON.stringify(account.slice(0, 100))}, but accepts a storage account name (3 to 24 lower-case letters and digits).`,
            );
        }
        return { kind: 'endpoint', blobServiceUri: `https://${account}.blob.core.windows.net` };
    }
    const connectionString = env.AzureWebJobsStorage?.trim();
    return connectionString ? { kind: 'connectionString', connectionString } : undefined;
}

/** The lag past which the timer warns and the doctor fails, ms. */
export function loadLagWarningMs(env: Env): number {
    return required(readSetting(env, 'LAG_WARNING_MINUTES'), 'LAG_WARNING_MINUTES') * 60_000;
}
