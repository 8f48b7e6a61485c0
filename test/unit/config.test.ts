import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import {
    containmentWarnings,
    deployConstraint,
    loadContainmentConfig,
    loadDetectionConfig,
    loadStateTableConfig,
    readSetting,
    SettingName,
    SETTINGS,
} from '../../shared/config';
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
        });
        expect(policy).toEqual({
            denialThreshold: 8,
            windowMs: 15 * 60_000,
            timeoutWeight: 1,
            spamThenSuccessMinDenials: 2,
            fraudReportOpensIncident: false,
            retentionMs: 48 * 3_600_000,
            maxPromptsPerUser: 100,
            maxClockSkewMs: 3_600_000,
            persistenceWindowMs: 86_400_000,
        });
        expect([...categories]).toEqual(['SignInLogs']);
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

    it('does not apply in dry-run, and a bad opt-out value is refused rather than read as false', () => {
        expect(loadContainmentConfig({}).mode).toBe('dry-run');
        expect((refusal({ ...live, ALLOW_NO_BREAK_GLASS: 'yes' }) as ConfigError).setting).toBe('ALLOW_NO_BREAK_GLASS');
    });
});

describe('deployConstraint', () => {
    // infra/main.bicep copies these bounds onto the settings' parameters; they must be the ones the app enforces.
    const accepts = (name: SettingName, value: string) => {
        try {
            readSetting({ [name]: value }, name);
            return true;
        } catch (e) {
            if (e instanceof ConfigError) return false;
            throw e;
        }
    };

    it.each(Object.keys(SETTINGS) as SettingName[])('%s: the recorded constraint is what the app accepts', (name) => {
        const c = deployConstraint(name);
        if (!c) return;
        switch (c.type) {
            case 'int':
                expect([c.min, c.max].map((v) => accepts(name, String(v)))).toEqual([true, true]);
                expect([c.min - 1, c.max + 1].map((v) => accepts(name, String(v)))).toEqual([false, false]);
                break;
            case 'decimal':
                expect([c.min, c.max, (c.min + c.max) / 2].map((v) => accepts(name, String(v)))).toEqual([
                    true,
                    true,
                    true,
                ]);
                expect([c.min - 0.01, c.max + 0.01].map((v) => accepts(name, String(v)))).toEqual([false, false]);
                break;
            case 'bool':
                expect(['true', 'false', 'yes'].map((v) => accepts(name, v))).toEqual([true, true, false]);
                break;
            case 'oneOf':
                expect(c.allowed.length).toBeGreaterThan(0);
                for (const v of c.allowed) expect({ v, ok: accepts(name, v) }).toEqual({ v, ok: true });
                expect(accepts(name, 'not-one-of-them')).toBe(false);
                break;
        }
    });

    it('lists every category combination for SIGNIN_CATEGORIES', () => {
        expect(deployConstraint('SIGNIN_CATEGORIES')).toEqual({
            type: 'oneOf',
            allowed: expect.arrayContaining(['SignInLogs', 'SignInLogs,NonInteractiveUserSignInLogs']) as unknown,
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
});
