import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { containmentWarnings, loadContainmentConfig } from '../../shared/settings/containment';
import { loadDetectionConfig } from '../../shared/settings/detection';
import { deployConstraint, readSetting, requireSetting } from '../../shared/settings/readSetting';
import type { DeployConstraint } from '../../shared/settings/settingSchemas';
import { SettingName, SETTINGS, SettingValue } from '../../shared/settings/settings';
import { loadStateTableConfig } from '../../shared/settings/stateTable';
import { DEFAULT_POLICY } from '../../shared/detection/policy';
import { ConfigError } from '../../shared/errors';

describe('loadDetectionConfig', () => {
    it('uses the documented defaults when nothing is set', () => {
        const { policy, categories } = loadDetectionConfig({});
        expect(policy).toEqual(DEFAULT_POLICY);
        expect([...categories]).toEqual(['SignInLogs', 'NonInteractiveUserSignInLogs']);
    });

    it('reads every detection setting', () => {
        const { policy, categories } = loadDetectionConfig({
            DENIAL_THRESHOLD: '8',
            DENIAL_WINDOW_MINUTES: '15',
            TIMEOUT_WEIGHT: '1',
            SPAM_THEN_SUCCESS_MIN_DENIALS: '2',
            FRAUD_REPORT_TRIGGER: 'FALSE',
            LATE_EVENT_TOLERANCE_HOURS: '48',
            MAX_PROMPTS_PER_USER: '100',
            SIGNIN_CATEGORIES: 'SignInLogs',
            SUSTAINED_WINDOW_HOURS: '6',
            SUSTAINED_THRESHOLD: '20',
            REMOVAL_LOOKBACK_MINUTES: '30',
        });
        expect(policy).toEqual({
            denialThreshold: 8,
            windowMs: 15 * 60_000,
            timeoutWeight: 1,
            spamThenSuccessMinDenials: 2,
            sustainedWindowMs: 6 * 3_600_000,
            sustainedThreshold: 20,
            removalLookbackMs: 30 * 60_000,
            fraudReportOpensIncident: false,
            retentionMs: 48 * 3_600_000,
            maxPromptsPerUser: 100,
            maxClockSkewMs: 3_600_000,
            persistenceWindowMs: 86_400_000,
        });
        expect([...categories]).toEqual(['SignInLogs']);
    });

    it('never lets the long window reach past the retention: older prompts are forgotten', () => {
        const { policy } = loadDetectionConfig({ SUSTAINED_WINDOW_HOURS: '12', LATE_EVENT_TOLERANCE_HOURS: '3' });
        expect(policy.sustainedWindowMs).toBe(3 * 3_600_000);
    });

    it.each([
        ['DENIAL_THRESHOLD', 'abc', /DENIAL_THRESHOLD.*"abc".*an integer from 1 to 1000 \(default 5\)/],
        ['DENIAL_THRESHOLD', '0', /DENIAL_THRESHOLD/],
        ['DENIAL_THRESHOLD', '2.5', /DENIAL_THRESHOLD/],
        ['DENIAL_WINDOW_MINUTES', '-1', /DENIAL_WINDOW_MINUTES/],
        ['TIMEOUT_WEIGHT', '1.5', /TIMEOUT_WEIGHT.*a number from 0 to 1/],
        ['FRAUD_REPORT_TRIGGER', 'yes', /FRAUD_REPORT_TRIGGER.*true or false/],
        ['SIGNIN_CATEGORIES', 'SignInLogs,AuditLogs', /SIGNIN_CATEGORIES.*SignInLogs, NonInteractiveUserSignInLogs/],
        ['SIGNIN_CATEGORIES', ',', /SIGNIN_CATEGORIES/],
        ['MAX_PROMPTS_PER_USER', '10', /MAX_PROMPTS_PER_USER/],
    ])('stops on %s=%p with a message naming it', (name, value, message) => {
        let error: unknown;
        try {
            loadDetectionConfig({ [name]: value });
        } catch (e) {
            error = e;
        }
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).setting).toBe(name);
        expect((error as Error).message).toMatch(message);
    });

    it('refuses a late-event tolerance shorter than the window', () => {
        expect(() => loadDetectionConfig({ DENIAL_WINDOW_MINUTES: '120', LATE_EVENT_TOLERANCE_HOURS: '1' })).toThrow(
            /LATE_EVENT_TOLERANCE_HOURS/,
        );
    });
});

describe('loadStateTableConfig', () => {
    it('prefers an explicit endpoint with the managed identity', () => {
        expect(
            loadStateTableConfig({
                STATE_TABLE_ENDPOINT: 'https://acct.table.core.windows.net',
                AZURE_CLIENT_ID: '0f8fad5b-d9cb-469f-a165-70867728950e',
                STATE_TABLE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
            }),
        ).toEqual({
            kind: 'endpoint',
            endpoint: 'https://acct.table.core.windows.net',
            tableName: 'mfaResponderState',
            clientId: '0f8fad5b-d9cb-469f-a165-70867728950e',
        });
    });

    it('falls back to the host storage account', () => {
        expect(loadStateTableConfig({ AzureWebJobsStorage__accountName: 'acct' })).toMatchObject({
            endpoint: 'https://acct.table.core.windows.net',
        });
        expect(loadStateTableConfig({ AzureWebJobsStorage: 'UseDevelopmentStorage=true' })).toMatchObject({
            kind: 'connectionString',
        });
    });

    it('stops when there is no storage at all, or a bad table name or client id', () => {
        expect(() => loadStateTableConfig({})).toThrow(/STATE_TABLE_ENDPOINT is required/);
        expect(() => loadStateTableConfig({ STATE_TABLE_NAME: 'a-b', AzureWebJobsStorage: 'x' })).toThrow(
            /STATE_TABLE_NAME/,
        );
        expect(() => loadStateTableConfig({ AZURE_CLIENT_ID: 'me', AzureWebJobsStorage: 'x' })).toThrow(
            /AZURE_CLIENT_ID.*GUID/,
        );
    });
});

describe('loadContainmentConfig: the break-glass guard', () => {
    const live = { CONTAINMENT_MODE: 'live', PUSH_BLOCK_GROUP_ID: '2c3d4e5f-6071-4283-94a5-b6c7d8e9f0a1' };
    const refusal = (env: Record<string, string>) => {
        try {
            loadContainmentConfig(env);
        } catch (e) {
            return e;
        }
        return undefined;
    };

    it.each([
        ['nothing set', {}],
        ['empty lists', { NEVER_CONTAIN: '', NEVER_CONTAIN_GROUP_IDS: '' }],
        ['lists of separators only', { NEVER_CONTAIN: ' , ; ', NEVER_CONTAIN_GROUP_IDS: ',' }],
        ['ALLOW_NO_BREAK_GLASS=false', { ALLOW_NO_BREAK_GLASS: 'false' }],
    ])('refuses live mode with no exclusion (%s), naming the settings', (_case, extra) => {
        const error = refusal({ ...live, ...extra });
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).setting).toBe('NEVER_CONTAIN');
        for (const name of [
            'CONTAINMENT_MODE=live',
            'NEVER_CONTAIN ',
            'NEVER_CONTAIN_GROUP_IDS',
            'ALLOW_NO_BREAK_GLASS=true',
        ])
            expect((error as Error).message).toContain(name);
    });

    it.each([
        ['a break-glass UPN', { NEVER_CONTAIN: 'breakglass@contoso.com' }],
        ['a break-glass group', { NEVER_CONTAIN_GROUP_IDS: '8f2e1d0c-4b3a-4291-8877-665544332211' }],
        ['the explicit opt-out', { ALLOW_NO_BREAK_GLASS: 'TRUE' }],
    ])('starts live with %s', (_case, extra) => {
        expect(loadContainmentConfig({ ...live, ...extra }).mode).toBe('live');
    });

    it.each([
        ['in quotes', '"bg@contoso.com"', '"\\"bg@contoso.com\\""'],
        ['in angle brackets', '<bg@contoso.com>', '"<bg@contoso.com>"'],
        ['as a mailto: link', 'mailto:bg@contoso.com', '"mailto:bg@contoso.com"'],
        ['with a trailing zero-width space', 'bg@contoso.com\u200b', '"bg@contoso.com\\u200b"'],
        ['with a right-to-left override', '\u202ebg@contoso.com', '"\\u202ebg@contoso.com"'],
        ['without a domain', 'breakglass', '"breakglass"'],
    ])('refuses a NEVER_CONTAIN entry %s, naming it visibly, even beside good ones', (_case, entry, shown) => {
        const error = refusal({ ...live, NEVER_CONTAIN: `ok@contoso.com,${entry}` });
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).setting).toBe('NEVER_CONTAIN');
        expect((error as Error).message).toContain(`lists ${shown}`);
        // It is refused in dry-run too: the list means the same whatever the mode.
        expect((refusal({ NEVER_CONTAIN: entry }) as ConfigError).setting).toBe('NEVER_CONTAIN');
    });

    it("accepts the entries Entra allows, a guest's #EXT# form and Unicode that normalises to them", () => {
        const config = loadContainmentConfig({
            ...live,
            NEVER_CONTAIN: `o'brien.bg_1!#^~-x@contoso.co.uk, alice_fabrikam.com#EXT#@contoso.onmicrosoft.com, ${GUID}`,
        });
        expect(config.neverContain).toEqual(
            new Set([
                "o'brien.bg_1!#^~-x@contoso.co.uk",
                'alice_fabrikam.com#ext#@contoso.onmicrosoft.com',
                'alice@fabrikam.com',
                GUID.toLowerCase(),
            ]),
        );
    });

    it('refuses the push-block group among the never-contain groups, and a group id among NEVER_CONTAIN users', () => {
        const group = live.PUSH_BLOCK_GROUP_ID;
        const both = refusal({ ...live, NEVER_CONTAIN_GROUP_IDS: `8f2e1d0c-4b3a-4291-8877-665544332211,${group}` });
        expect((both as ConfigError).setting).toBe('PUSH_BLOCK_GROUP_ID');
        expect((both as Error).message).toMatch(/also listed in NEVER_CONTAIN_GROUP_IDS/);
        const breakGlassGroup = '8f2e1d0c-4b3a-4291-8877-665544332211';
        const asUser = refusal({ ...live, NEVER_CONTAIN: breakGlassGroup, NEVER_CONTAIN_GROUP_IDS: breakGlassGroup });
        expect((asUser as ConfigError).setting).toBe('NEVER_CONTAIN');
        expect((asUser as Error).message).toContain(`lists ${breakGlassGroup}, which is a group id`);
        expect((refusal({ ...live, NEVER_CONTAIN: group }) as ConfigError).setting).toBe('NEVER_CONTAIN');
    });

    it('does not apply in dry-run, and a bad opt-out value is refused rather than read as false', () => {
        expect(loadContainmentConfig({}).mode).toBe('dry-run');
        expect((refusal({ ...live, ALLOW_NO_BREAK_GLASS: 'yes' }) as ConfigError).setting).toBe('ALLOW_NO_BREAK_GLASS');
    });
});

const GUID = '0F8FAD5B-D9CB-469F-A165-70867728950E';
const guids = (n: number) =>
    Array.from({ length: n }, (_, i) => `2c3d4e5f-6071-4283-94a5-${String(i).padStart(12, '0')}`);

/**
 * What each setting claims: values it accepts with the typed value each parses to, values it refuses, its value when
 * unset, and the kind of check infra/main.bicep makes for it at deploy time ('none': free text a template cannot
 * check). Typed per setting, so that a setting without a row, or a row of the wrong type, does not compile.
 */
interface Row<K extends SettingName> {
    readonly ok: readonly [readonly [string, SettingValue<K>], ...(readonly [string, SettingValue<K>])[]];
    readonly bad: readonly string[];
    readonly unset: SettingValue<K> | undefined;
    readonly deploy: DeployConstraint['type'] | 'none';
}
const TABLE: { readonly [K in SettingName]: Row<K> } = {
    DENIAL_THRESHOLD: { ok: [[' 1000 ', 1000]], bad: ['abc', '0', '2.5', '1001'], unset: 5, deploy: 'int' },
    DENIAL_WINDOW_MINUTES: { ok: [['1440', 1440]], bad: ['-1', '1441'], unset: 10, deploy: 'int' },
    TIMEOUT_WEIGHT: {
        ok: [
            ['0.25', 0.25],
            ['1', 1],
        ],
        bad: ['1.5', '.5', '-0.1'],
        unset: 0.5,
        deploy: 'decimal',
    },
    SPAM_THEN_SUCCESS_MIN_DENIALS: { ok: [['2', 2]], bad: ['0'], unset: 3, deploy: 'int' },
    SUSTAINED_WINDOW_HOURS: { ok: [['168', 168]], bad: ['0', '169'], unset: 4, deploy: 'int' },
    SUSTAINED_THRESHOLD: { ok: [['30', 30]], bad: ['0', '1001'], unset: 15, deploy: 'int' },
    REMOVAL_LOOKBACK_MINUTES: { ok: [['10', 10]], bad: ['9', '1441'], unset: 60, deploy: 'int' },
    FRAUD_REPORT_TRIGGER: { ok: [[' False ', false]], bad: ['yes', '0'], unset: true, deploy: 'bool' },
    LATE_EVENT_TOLERANCE_HOURS: { ok: [['168', 168]], bad: ['169'], unset: 24, deploy: 'int' },
    MAX_CLOCK_SKEW_MINUTES: { ok: [['5', 5]], bad: ['1441'], unset: 60, deploy: 'int' },
    MAX_PROMPTS_PER_USER: { ok: [['50', 50]], bad: ['10', '49', '2001'], unset: 500, deploy: 'int' },
    SIGNIN_CATEGORIES: {
        ok: [['NonInteractiveUserSignInLogs, SignInLogs', ['NonInteractiveUserSignInLogs', 'SignInLogs']]],
        bad: ['SignInLogs,AuditLogs', ',', 'signinlogs'],
        unset: ['SignInLogs', 'NonInteractiveUserSignInLogs'],
        deploy: 'oneOf',
    },
    AUDIT_CATEGORIES: {
        ok: [
            ['NONE', []],
            ['AuditLogs', ['AuditLogs']],
        ],
        bad: ['SignInLogs'],
        unset: ['AuditLogs'],
        deploy: 'none',
    },
    PERSISTENCE_WINDOW_HOURS: { ok: [['720', 720]], bad: ['721'], unset: 24, deploy: 'int' },
    CAMPAIGN_WINDOW_MINUTES: { ok: [['1440', 1440]], bad: ['4', '1441'], unset: 60, deploy: 'int' },
    CAMPAIGN_MIN_USERS: { ok: [['3', 3]], bad: ['2', 'ten'], unset: 10, deploy: 'int' },
    CAMPAIGN_MAX_USERS: { ok: [['100000', 100000]], bad: ['0', '100001'], unset: 50, deploy: 'int' },
    TRUSTED_SOURCE_RANGES: {
        ok: [['203.0.113.0/24, 2001:db8::/48;198.51.100.7', ['203.0.113.0/24', '2001:db8::/48', '198.51.100.7']]],
        bad: ['proxy.contoso.com', Array.from({ length: 1001 }, (_, i) => `10.0.${i >> 8}.${i & 255}`).join(',')],
        unset: [],
        deploy: 'none',
    },
    CAMPAIGN_SHARED_ASNS: {
        ok: [['AS1136, 33915', [1136, 33915]]],
        bad: ['KPN', Array.from({ length: 501 }, (_, i) => String(i + 1)).join(',')],
        unset: [],
        deploy: 'none',
    },
    BLOCK_CAMPAIGN_SOURCES: { ok: [['true', true]], bad: ['on'], unset: false, deploy: 'bool' },
    SOURCE_BLOCK_HOURS: { ok: [['720', 720]], bad: ['0', '721'], unset: 24, deploy: 'int' },
    BLOCK_LOCATION_ID: { ok: [[GUID, GUID.toLowerCase()]], bad: ['blocked'], unset: undefined, deploy: 'none' },
    STATE_TABLE_NAME: {
        ok: [['Tbl1', 'Tbl1']],
        bad: ['a-b', 'ab', '1table'],
        unset: 'mfaResponderState',
        deploy: 'none',
    },
    STATE_TABLE_ENDPOINT: {
        ok: [['https://acct.table.core.windows.net', 'https://acct.table.core.windows.net']],
        bad: ['acct', 'ftp://acct.table.core.windows.net'],
        unset: undefined,
        deploy: 'none',
    },
    // Any connection string: the storage client is the judge of it (local runs only).
    STATE_TABLE_CONNECTION_STRING: {
        ok: [['UseDevelopmentStorage=true', 'UseDevelopmentStorage=true']],
        bad: [],
        unset: undefined,
        deploy: 'none',
    },
    AZURE_CLIENT_ID: { ok: [[GUID, GUID]], bad: ['me'], unset: undefined, deploy: 'none' },
    EVENTHUB_NAME: {
        ok: [['entra.signins_2', 'entra.signins_2']],
        bad: ['-hub', 'a b'],
        unset: 'entra-signins',
        deploy: 'none',
    },
    EVENTHUB_CONSUMER_GROUP: {
        ok: [['mfa-responder', 'mfa-responder']],
        bad: ['a b'],
        unset: '$Default',
        deploy: 'none',
    },
    CONTAINMENT_MODE: { ok: [['live', 'live']], bad: ['Live', 'on'], unset: 'dry-run', deploy: 'oneOf' },
    PUSH_BLOCK_MODE: { ok: [['remove-method', 'remove-method']], bad: ['remove'], unset: 'group', deploy: 'oneOf' },
    PUSH_BLOCK_GROUP_ID: { ok: [[GUID, GUID]], bad: ['group'], unset: undefined, deploy: 'none' },
    CONFIRM_COMPROMISED: { ok: [['TRUE', true]], bad: ['yes'], unset: false, deploy: 'bool' },
    DISABLE_ACCOUNT: { ok: [['true', true]], bad: ['1'], unset: false, deploy: 'bool' },
    NOTIFY_WEBHOOK_URL: {
        ok: [['http://localhost:7071/hook', 'http://localhost:7071/hook']],
        // A malformed Workflows URL still carries its signature: never repeated (see the secret check below).
        bad: [
            'mailto:soc@contoso.com',
            'hook',
            'htps://prod-12.westeurope.logic.azure.com/workflows/1/triggers/manual/paths/invoke?sig=TopSecretSig',
        ],
        unset: undefined,
        deploy: 'none',
    },
    REMOVE_NEW_METHODS: { ok: [['false', false]], bad: ['off'], unset: true, deploy: 'bool' },
    RESET_PASSWORD: { ok: [['True', true]], bad: ['y'], unset: false, deploy: 'bool' },
    NEVER_CONTAIN: {
        ok: [[`BreakGlass@Contoso.com; ${GUID}`, ['breakglass@contoso.com', GUID.toLowerCase()]]],
        // Each entry is checked by loadContainmentConfig, which names the bad one (below); the list is capped at 1,000.
        bad: [Array.from({ length: 1001 }, (_, i) => `bg${i}@contoso.com`).join(',')],
        unset: [],
        deploy: 'none',
    },
    NEVER_CONTAIN_GROUP_IDS: {
        ok: [[guids(20).join(',').toUpperCase(), guids(20)]],
        bad: [guids(21).join(','), 'admins'],
        unset: [],
        deploy: 'none',
    },
    RELEASE_KEY_SHA256: {
        ok: [[`${'A'.repeat(64)}, ${'0'.repeat(64)}`, ['a'.repeat(64), '0'.repeat(64)]]],
        bad: ['a'.repeat(63), 'the-key-itself', Array.from({ length: 11 }, () => 'b'.repeat(64)).join(',')],
        unset: [],
        deploy: 'none',
    },
    DRILL_USER_IDS: {
        ok: [[guids(50).join(' '), guids(50)]],
        bad: [guids(51).join(','), 'canary@contoso.com'],
        unset: [],
        deploy: 'none',
    },
    ALLOW_NO_BREAK_GLASS: { ok: [['TRUE', true]], bad: ['yes'], unset: false, deploy: 'bool' },
    MAX_CONTAINMENTS_PER_HOUR: { ok: [['10000', 10000]], bad: ['10001', '0'], unset: 10, deploy: 'int' },
    CONTAINMENT_COOLDOWN_MINUTES: { ok: [['0', 0]], bad: ['-1', '10081'], unset: 60, deploy: 'int' },
    CONTAINMENT_TIMER_SCHEDULE: {
        ok: [['*/30 * * * * *', '*/30 * * * * *']],
        bad: ['*/5 * * * *'],
        unset: '0 */1 * * * *',
        deploy: 'none',
    },
    MAX_STEP_ATTEMPTS: { ok: [['50', 50]], bad: ['51'], unset: 6, deploy: 'int' },
    NOTICE_RETRY_HOURS: { ok: [['168', 168]], bad: ['0', '169'], unset: 24, deploy: 'int' },
    READBACK_WINDOW_MINUTES: { ok: [['240', 240]], bad: ['0', '241'], unset: 30, deploy: 'int' },
    GRAPH_CONCURRENCY: { ok: [['32', 32]], bad: ['0', '33'], unset: 4, deploy: 'int' },
    GRAPH_BASE_URL: {
        ok: [
            ['https://graph.microsoft.us/', 'https://graph.microsoft.us'],
            // A base URL that names a version sent every call to /v1.0/v1.0/…: the version is dropped.
            ['https://graph.microsoft.com/v1.0', 'https://graph.microsoft.com'],
            ['https://graph.microsoft.com/V1.0/', 'https://graph.microsoft.com'],
            ['https://graph.microsoft.com/beta', 'https://graph.microsoft.com'],
        ],
        bad: [
            'http://graph.microsoft.com',
            'https://graph.microsoft.com/?api-version=1',
            'https://graph.microsoft.com/#v1.0',
        ],
        unset: 'https://graph.microsoft.com',
        deploy: 'none',
    },
    GRAPH_CALL_TIMEOUT_SECONDS: { ok: [['120', 120]], bad: ['121'], unset: 15, deploy: 'int' },
    GRAPH_STEP_BUDGET_SECONDS: { ok: [['5', 5]], bad: ['4'], unset: 90, deploy: 'int' },
    LOGS_INGESTION_ENDPOINT: {
        ok: [['https://dce-1.eastus-1.ingest.monitor.azure.com/', 'https://dce-1.eastus-1.ingest.monitor.azure.com']],
        bad: ['http://dce-1.eastus-1.ingest.monitor.azure.com'],
        unset: undefined,
        deploy: 'none',
    },
    LOGS_INGESTION_RULE_ID: {
        ok: [[' DCR-0123456789ABCDEF0123456789ABCDEF ', 'dcr-0123456789abcdef0123456789abcdef']],
        bad: ['dcr-123', '0123456789abcdef0123456789abcdef'],
        unset: undefined,
        deploy: 'none',
    },
    LOGS_INGESTION_STREAM: {
        ok: [['Custom-MyTable_CL', 'Custom-MyTable_CL']],
        bad: ['MfaFatigueIncidents_CL'],
        unset: 'Custom-MfaFatigueIncidents_CL',
        deploy: 'none',
    },
    NOTIFY_FORMAT: { ok: [['teams', 'teams']], bad: ['card'], unset: 'json', deploy: 'oneOf' },
    SENTINEL_WORKSPACE_ID: {
        ok: [
            [
                ` /subscriptions/${GUID}/resourceGroups/rg-soc/providers/Microsoft.OperationalInsights/workspaces/law-soc`,
                `/subscriptions/${GUID}/resourceGroups/rg-soc/providers/Microsoft.OperationalInsights/workspaces/law-soc`,
            ],
        ],
        bad: ['law-soc', `/subscriptions/${GUID}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/x`],
        unset: undefined,
        deploy: 'none',
    },
    RUNBOOK_URL: {
        ok: [['https://wiki.contoso.com/soc/mfa-release', 'https://wiki.contoso.com/soc/mfa-release']],
        bad: ['http://wiki.contoso.com/soc', 'wiki'],
        unset: undefined,
        deploy: 'none',
    },
    APPLICATIONINSIGHTS_CONNECTION_STRING: {
        ok: [
            [
                ` InstrumentationKey=${GUID};IngestionEndpoint=https://eastus-8.in.applicationinsights.azure.com/`,
                `InstrumentationKey=${GUID};IngestionEndpoint=https://eastus-8.in.applicationinsights.azure.com/`,
            ],
        ],
        bad: ['IngestionEndpoint=https://eastus-8.in.applicationinsights.azure.com/'],
        unset: undefined,
        deploy: 'none',
    },
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: {
        ok: [
            ['Authorization=AAD', 'Authorization=AAD'],
            [`ClientId=${GUID};Authorization=AAD`, `ClientId=${GUID};Authorization=AAD`],
        ],
        bad: ['Authorization=Key'],
        unset: undefined,
        deploy: 'none',
    },
    EventHubConnection__fullyQualifiedNamespace: {
        ok: [['MyNs.servicebus.windows.net', 'myns.servicebus.windows.net']],
        bad: ['sb://myns.servicebus.windows.net/'],
        unset: undefined,
        deploy: 'none',
    },
    EVENTHUB_CONNECTION_STRING: {
        ok: [
            [
                'Endpoint=sb://127.0.0.1:5672;SharedAccessKeyName=k;SharedAccessKey=s;UseDevelopmentEmulator=true',
                'Endpoint=sb://127.0.0.1:5672;SharedAccessKeyName=k;SharedAccessKey=s;UseDevelopmentEmulator=true',
            ],
        ],
        bad: ['Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=TopSecretKey'],
        unset: undefined,
        deploy: 'none',
    },
    LAG_WARNING_MINUTES: { ok: [['1', 1]], bad: ['0'], unset: 10, deploy: 'int' },
};
const NAMES = Object.keys(TABLE) as SettingName[];
const row = <K extends SettingName>(name: K): Row<K> => TABLE[name];

describe('every setting', () => {
    it('has a row, and nothing else has one', () => {
        expect([...NAMES].sort()).toEqual(Object.keys(SETTINGS).sort());
    });

    it.each(NAMES.flatMap((name) => row(name).ok.map(([text, value]) => [name, text, value] as const)))(
        '%s accepts %p as %p',
        (name, text, value) => {
            expect(readSetting({ [name]: text }, name)).toEqual(value);
        },
    );

    it.each(NAMES.flatMap((name) => row(name).bad.map((text) => [name, text] as const)))(
        '%s refuses %p with a ConfigError naming it and what it accepts',
        (name, text) => {
            const error = thrownBy(() => readSetting({ [name]: text }, name));
            expect(error).toBeInstanceOf(ConfigError);
            expect((error as ConfigError).setting).toBe(name);
            const message = (error as Error).message;
            expect(message.startsWith(`Setting ${name} has `)).toBe(true);
            expect(message).toContain(`but accepts ${SETTINGS[name].accepts}`);
            // A key is never repeated in a message (which lands in logs); any other value is, to help the admin.
            expect(message.includes(text.slice(0, 100))).toBe(!('secret' in SETTINGS[name]));
        },
    );

    it.each(NAMES)('%s, unset or blank, takes its default', (name) => {
        expect(readSetting({}, name)).toEqual(row(name).unset);
        expect(readSetting({ [name]: '  ' }, name)).toEqual(row(name).unset);
    });

    // infra/main.bicep copies these bounds onto the settings' parameters; they must be the ones the app enforces.
    it.each(NAMES)('%s: the deploy-time constraint is the one claimed, and what the app accepts', (name) => {
        const c = deployConstraint(name);
        expect(c?.type ?? 'none').toBe(row(name).deploy);
        if (c) expectAppEnforces(name, c);
    });
});

const accepts = (name: SettingName, value: string) => {
    try {
        readSetting({ [name]: value }, name);
        return true;
    } catch (e) {
        if (e instanceof ConfigError) return false;
        throw e;
    }
};

function expectAppEnforces(name: SettingName, c: DeployConstraint): void {
    switch (c.type) {
        case 'int':
            expect([c.min, c.max].map((v) => accepts(name, String(v)))).toEqual([true, true]);
            expect([c.min - 1, c.max + 1].map((v) => accepts(name, String(v)))).toEqual([false, false]);
            return;
        case 'decimal':
            expect([c.min, c.max, (c.min + c.max) / 2].map((v) => accepts(name, String(v)))).toEqual([
                true,
                true,
                true,
            ]);
            expect([c.min - 0.01, c.max + 0.01].map((v) => accepts(name, String(v)))).toEqual([false, false]);
            return;
        case 'bool':
            expect(['true', 'false', 'yes'].map((v) => accepts(name, v))).toEqual([true, true, false]);
            return;
        case 'oneOf':
            expect(c.allowed.length).toBeGreaterThan(0);
            for (const v of c.allowed) expect({ v, ok: accepts(name, v) }).toEqual({ v, ok: true });
            expect(accepts(name, 'not-one-of-them')).toBe(false);
            return;
        default: {
            const unknown: never = c;
            throw new Error(`no check for the deploy constraint ${JSON.stringify(unknown)}`);
        }
    }
}

function thrownBy(f: () => unknown): unknown {
    try {
        f();
    } catch (e) {
        return e;
    }
    throw new Error('expected an error, none was thrown');
}

describe('readSetting and requireSetting messages', () => {
    it.each([
        [
            'DENIAL_THRESHOLD',
            'abc',
            'Setting DENIAL_THRESHOLD has the value "abc", but accepts an integer from 1 to 1000 (default 5).',
        ],
        ['AZURE_CLIENT_ID', 'me', 'Setting AZURE_CLIENT_ID has the value "me", but accepts a GUID.'],
        [
            'EVENTHUB_CONNECTION_STRING',
            'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKey=TopSecretKey',
            'Setting EVENTHUB_CONNECTION_STRING has a value, but accepts an emulator connection string (Endpoint=sb://127.0.0.1:5672;…;UseDevelopmentEmulator=true).',
        ],
    ] as const)('%s=%p is refused with exactly this message', (name, value, message) => {
        expect(() => readSetting({ [name]: value }, name)).toThrow(new ConfigError(name, message));
        expect(() => readSetting({ [name]: value }, name)).toThrow(message);
    });

    it('requireSetting returns the value or the default, and names an unset setting without one', () => {
        expect(requireSetting({ DENIAL_THRESHOLD: '7' }, 'DENIAL_THRESHOLD')).toBe(7);
        expect(requireSetting({}, 'DENIAL_THRESHOLD')).toBe(5);
        const error = thrownBy(() => requireSetting({}, 'AZURE_CLIENT_ID'));
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).setting).toBe('AZURE_CLIENT_ID');
        expect((error as Error).message).toBe('Setting AZURE_CLIENT_ID is required (a GUID).');
    });

    it('lists every category combination for SIGNIN_CATEGORIES', () => {
        expect(deployConstraint('SIGNIN_CATEGORIES')).toEqual({
            type: 'oneOf',
            allowed: [
                'SignInLogs',
                'SignInLogs,NonInteractiveUserSignInLogs',
                'NonInteractiveUserSignInLogs',
                'NonInteractiveUserSignInLogs,SignInLogs',
            ],
        });
    });
});

describe('docs/settings.md', () => {
    it('documents every setting with its default', () => {
        const readme = readFileSync(join(__dirname, '..', '..', 'docs', 'settings.md'), 'utf8');
        for (const [name, spec] of Object.entries(SETTINGS)) {
            const row = readme.split('\n').find((l) => l.startsWith(`| \`${name}\``));
            expect({ name, row: row !== undefined }).toEqual({ name, row: true });
            if ('default' in spec && spec.default !== undefined)
                expect({ name, hasDefault: row!.includes(`\`${spec.default}\``) }).toEqual({ name, hasDefault: true });
        }
    });
});

describe('containmentWarnings', () => {
    it('warns about remove-method without a password reset in live mode, and only then', () => {
        const base = {
            CONTAINMENT_MODE: 'live',
            NEVER_CONTAIN: 'breakglass@contoso.com',
            PUSH_BLOCK_MODE: 'remove-method',
        };
        expect(containmentWarnings(loadContainmentConfig(base))).toEqual([
            expect.stringMatching(/RESET_PASSWORD=false.*register their own.*Conditional Access/),
        ]);
        expect(containmentWarnings(loadContainmentConfig({ ...base, RESET_PASSWORD: 'true' }))).toEqual([]);
        expect(containmentWarnings(loadContainmentConfig({ ...base, CONTAINMENT_MODE: 'dry-run' }))).toEqual([]);
    });

    it('warns when live thresholds contain on one or two prompts, naming each, and only in live mode', () => {
        const live = {
            CONTAINMENT_MODE: 'live',
            PUSH_BLOCK_GROUP_ID: '2c3d4e5f-6071-4283-94a5-b6c7d8e9f0a1',
            NEVER_CONTAIN: 'breakglass@contoso.com',
        };
        const warn = (env: Record<string, string>) =>
            containmentWarnings(loadContainmentConfig(env), loadDetectionConfig(env).policy);
        expect(warn(live)).toEqual([]);
        expect(warn({ ...live, DENIAL_THRESHOLD: '3', SPAM_THEN_SUCCESS_MIN_DENIALS: '3' })).toEqual([]);
        expect(warn({ ...live, DENIAL_THRESHOLD: '1' })).toEqual([
            expect.stringMatching(/^CONTAINMENT_MODE=live with DENIAL_THRESHOLD=1: one or two declined prompts/),
        ]);
        expect(warn({ ...live, DENIAL_THRESHOLD: '2', SPAM_THEN_SUCCESS_MIN_DENIALS: '1' })).toEqual([
            expect.stringContaining('DENIAL_THRESHOLD=2 and SPAM_THEN_SUCCESS_MIN_DENIALS=1'),
        ]);
        expect(warn({ ...live, CONTAINMENT_MODE: 'dry-run', DENIAL_THRESHOLD: '1' })).toEqual([]);
    });
});
