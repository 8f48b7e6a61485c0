import { z } from 'zod';

import type { DetectionPolicy } from './detection/policy';
import { ConfigError } from './errors';
import { USER_SIGNIN_CATEGORIES } from './signin/parseSignIn';

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
}

const int = (min: number, max: number) =>
    z
        .string()
        .trim()
        .regex(/^-?\d+$/)
        .transform(Number)
        .pipe(z.number().int().min(min).max(max));
const num = (min: number, max: number) =>
    z
        .string()
        .trim()
        .regex(/^-?\d+(\.\d+)?$/)
        .transform(Number)
        .pipe(z.number().min(min).max(max));
const bool = z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['true', 'false']))
    .transform((v) => v === 'true');
const csv = <T extends string>(values: readonly [T, ...T[]]) =>
    z
        .string()
        .transform((s) =>
            s
                .split(',')
                .map((v) => v.trim())
                .filter(Boolean),
        )
        .pipe(z.array(z.enum(values)).min(1));

function spec<T>(s: SettingSpec<T>): SettingSpec<T> {
    return s;
}

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
        throw new ConfigError(
            name,
            `Setting ${name} has the value ${JSON.stringify(String(raw).slice(0, 100))}, but accepts ${s.accepts}` +
                (s.default !== undefined ? ` (default ${s.default}).` : '.'),
        );
    }
    return parsed.data as z.output<(typeof SETTINGS)[K]['schema']>;
}

function required<T>(value: T | undefined, name: SettingName): T {
    if (value === undefined) throw new ConfigError(name, `Setting ${name} is required (${SETTINGS[name].accepts}).`);
    return value;
}

export interface DetectionConfig {
    readonly policy: DetectionPolicy;
    readonly categories: ReadonlySet<string>;
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
            maxAttemptsPerUser: required(readSetting(env, 'MAX_PROMPTS_PER_USER'), 'MAX_PROMPTS_PER_USER'),
        },
        categories: new Set(required(readSetting(env, 'SIGNIN_CATEGORIES'), 'SIGNIN_CATEGORIES')),
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
