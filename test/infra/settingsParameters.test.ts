import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { loadContainmentConfig } from '../../shared/settings/containment';
import { loadDetectionConfig } from '../../shared/settings/detection';
import { loadGraphConfig } from '../../shared/settings/graph';
import { deployConstraint, readSetting } from '../../shared/settings/readSetting';
import { SettingName, SETTINGS } from '../../shared/settings/settings';
import { ConfigError } from '../../shared/errors';
import { ArmEvaluator, ArmFailure } from './armEvaluator';
import { compileBicep } from './compile';

/**
 * One owner for every setting: each setting in shared/settings/settings.ts is a parameter of infra/main.bicep, bounded
 * as the app bounds it, mapped in main.parameters.json to the azd environment variable of the setting's name with the
 * app's default, and passed to the function app. Data-driven from SETTINGS, so that a new setting fails here until the
 * template has it.
 */
const root = join(__dirname, '..', '..');

/** Settings the template derives from what it creates, instead of taking them as parameters. */
const DERIVED: Partial<Record<SettingName, string>> = {
    AZURE_CLIENT_ID: 'the client id of the managed identity the template creates',
    STATE_TABLE_ENDPOINT: 'the table endpoint of the storage account the template creates',
    LOGS_INGESTION_ENDPOINT: 'the logsIngestion endpoint of the data collection rule the template creates',
    LOGS_INGESTION_RULE_ID: 'the immutable id of the data collection rule the template creates',
    LOGS_INGESTION_STREAM: 'the stream the data collection rule the template creates declares',
    APPLICATIONINSIGHTS_CONNECTION_STRING: 'the connection string of the Application Insights component it creates',
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Entra ID authorization with the managed identity it creates',
    EventHubConnection__fullyQualifiedNamespace: 'the Event Hubs namespace the template creates',
};
/** Where the template's default differs from the app's on purpose. */
const TEMPLATE_DEFAULTS: Partial<Record<SettingName, string>> = {
    // The template creates a consumer group of the responder's own instead of sharing $Default.
    EVENTHUB_CONSUMER_GROUP: 'mfa-responder',
};

interface ArmParameter {
    type: string;
    defaultValue?: unknown;
    minValue?: number;
    maxValue?: number;
    allowedValues?: unknown[];
}
interface MainTemplate {
    parameters: Record<string, ArmParameter>;
    variables: Record<string, unknown>;
    resources: { type: string; properties?: { parameters?: Record<string, { value: unknown }> } }[];
}

let main: MainTemplate;
let parameterFile: Record<string, { value: string }>;

beforeAll(() => {
    main = JSON.parse(compileBicep(['infra/main.bicep']).main!) as MainTemplate;
    parameterFile = (
        JSON.parse(readFileSync(join(root, 'infra', 'main.parameters.json'), 'utf8')) as {
            parameters: Record<string, { value: string }>;
        }
    ).parameters;
}, 300_000);

/** DENIAL_THRESHOLD -> denialThreshold: the rule main.bicep follows for every setting's parameter. */
const paramName = (setting: string) =>
    setting.toLowerCase().replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
const deployed = (Object.keys(SETTINGS) as SettingName[]).filter(
    (name) => !SETTINGS[name].localOnly && !(name in DERIVED),
);
const templateDefault = (name: SettingName) => TEMPLATE_DEFAULTS[name] ?? SETTINGS[name].default ?? '';

function howToAdd(name: SettingName): string {
    const p = paramName(name);
    const d = templateDefault(name);
    return [
        `${name} has no complete Bicep parameter. In infra/main.bicep add \`param ${p} <type> = <app default>\` bounded like its schema`,
        `(int: @minValue/@maxValue; true/false: bool; fixed values: @allowed), then \`${name}: ${p}\` (string() for int/bool) in productSettings;`,
        `in infra/main.parameters.json add "${p}": { "value": "\${${name}${d === '' ? '' : `=${d}`}}" }.`,
    ].join(' ');
}

/** What is wrong with a setting's parameter; empty when nothing is. */
function problemsOf(name: SettingName): string[] {
    const p = paramName(name);
    const param = main.parameters[p];
    if (!param) return [`no parameter ${p}`];
    const problems: string[] = [];
    const c = deployConstraint(name);
    const secure = name === 'NOTIFY_WEBHOOK_URL';
    const expectedType = c?.type === 'int' ? 'int' : c?.type === 'bool' ? 'bool' : secure ? 'securestring' : 'string';
    if (param.type.toLowerCase() !== expectedType) problems.push(`${p} is ${param.type}, expected ${expectedType}`);
    if (c?.type === 'int' && (param.minValue !== c.min || param.maxValue !== c.max))
        problems.push(`${p} is bounded ${param.minValue}..${param.maxValue}, the app ${c.min}..${c.max}`);
    if (
        c?.type === 'oneOf' &&
        JSON.stringify([...(param.allowedValues ?? [])].sort()) !== JSON.stringify([...c.allowed].sort())
    )
        problems.push(`${p} allows ${JSON.stringify(param.allowedValues)}, the app ${JSON.stringify(c.allowed)}`);
    if (String((param.defaultValue as string | number | boolean | undefined) ?? '') !== templateDefault(name))
        problems.push(
            `${p} defaults to ${JSON.stringify(param.defaultValue)}, the app to ${JSON.stringify(templateDefault(name))}`,
        );
    const d = templateDefault(name);
    const mapping = `\${${name}${d === '' ? '' : `=${d}`}}`;
    if (parameterFile[p]?.value !== mapping)
        problems.push(
            `main.parameters.json maps ${p} to ${JSON.stringify(parameterFile[p]?.value)}, expected ${mapping}`,
        );
    const product = main.variables.productSettings as Record<string, string>;
    const module = main.resources.find((r) => r.type === 'Microsoft.Resources/deployments')!;
    const passed = secure
        ? String(module.properties!.parameters!.notifyWebhookUrl?.value)
        : String(product[name] ?? '');
    if (!passed.includes(`parameters('${p}')`)) problems.push(`the app setting ${name} does not come from ${p}`);
    return problems;
}

describe('every setting is a parameter of infra/main.bicep', () => {
    it.each(deployed)('%s', (name) => {
        const problems = problemsOf(name);
        expect({ name, problems, fix: problems.length > 0 ? howToAdd(name) : '' }).toEqual({
            name,
            problems: [],
            fix: '',
        });
    });

    it('maps every template parameter, and nothing else, to an azd environment variable', () => {
        expect(Object.keys(parameterFile).sort()).toEqual(Object.keys(main.parameters).sort());
        for (const [p, { value }] of Object.entries(parameterFile))
            expect({ p, value }).toEqual({
                p,
                value: expect.stringMatching(/^\$\{[A-Z][A-Z0-9_]*(=[^}]*)?\}$/) as unknown,
            });
    });

    it('keeps the secret webhook URL out of the plain settings object', () => {
        expect(Object.keys(main.variables.productSettings as object)).not.toContain('NOTIFY_WEBHOOK_URL');
        expect(main.parameters.notifyWebhookUrl!.type).toBe('securestring');
    });
});

/** The settings the template gives the app for these parameters (the product settings part), or its failure. */
function deploy(params: Record<string, unknown>): { settings?: Record<string, string>; failure?: string } {
    try {
        return { settings: new ArmEvaluator(main, params).variable('productSettings') as Record<string, string> };
    } catch (e) {
        if (e instanceof ArmFailure) return { failure: e.message };
        throw e;
    }
}

/** Whether the app accepts these settings: each by its own schema, then as start-up combines them. */
function appStarts(env: Record<string, string | undefined>): { ok: true } | { ok: false; setting: string } {
    try {
        for (const name of deployed) readSetting(env, name);
        loadDetectionConfig(env);
        loadContainmentConfig(env);
        loadGraphConfig(env);
        return { ok: true };
    } catch (e) {
        if (e instanceof ConfigError) return { ok: false, setting: e.setting };
        throw e;
    }
}

/** The environment the app would see if the template passed these parameters through as their settings. */
function envOf(params: Record<string, unknown>): Record<string, string> {
    const bySetting = Object.fromEntries(deployed.map((n) => [paramName(n), n]));
    return Object.fromEntries(Object.entries(params).map(([p, v]) => [bySetting[p]!, String(v)]));
}

describe('the template gives the app settings it starts with, and refuses what the app would refuse', () => {
    it('deploys the defaults, each of which the app reads as its own default', () => {
        const { settings, failure } = deploy({});
        expect(failure).toBeUndefined();
        expect(appStarts(settings!)).toEqual({ ok: true });
        for (const name of deployed.filter((n) => !(n in TEMPLATE_DEFAULTS)))
            expect({ name, value: readSetting(settings!, name) }).toEqual({ name, value: readSetting({}, name) });
    });

    const GROUP = '2c3d4e5f-6071-4283-94a5-b6c7d8e9f0a1';
    const live = { containmentMode: 'live', pushBlockGroupId: GROUP };
    it.each<[string, Record<string, unknown>]>([
        ['live, no exclusion', live],
        ['live, a break-glass UPN', { ...live, neverContain: 'breakglass@contoso.com' }],
        ['live, a break-glass group', { ...live, neverContainGroupIds: '8f2e1d0c-4b3a-4291-8877-665544332211' }],
        ['live, the explicit opt-out', { ...live, allowNoBreakGlass: true }],
        ['live, blanks only', { ...live, neverContain: '   ', neverContainGroupIds: ' ' }],
        ['live group mode without a group', { containmentMode: 'live', neverContain: 'bg@contoso.com' }],
        [
            'live remove-method without a group',
            { containmentMode: 'live', pushBlockMode: 'remove-method', neverContain: 'bg@contoso.com' },
        ],
        ['dry-run, no exclusion', { containmentMode: 'dry-run' }],
        ...['0', '1', '0.25', '1.000', '0.999', '00.5'].map((w): [string, Record<string, unknown>] => [
            `TIMEOUT_WEIGHT ${w}`,
            { timeoutWeight: w },
        ]),
        ...['1.5', '2', 'abc', '.5', '0.', '0.5.1', '1.01', '0,5', ' 0.5x'].map(
            (w): [string, Record<string, unknown>] => [`TIMEOUT_WEIGHT ${w}`, { timeoutWeight: w }],
        ),
        ['tolerance shorter than the window', { lateEventToleranceHours: 1, denialWindowMinutes: 120 }],
        ['tolerance equal to the window', { lateEventToleranceHours: 1, denialWindowMinutes: 60 }],
        ['a five-field schedule', { containmentTimerSchedule: '0 */5 * * *' }],
        ['a schedule with a double space', { containmentTimerSchedule: '0  */1 * * * *' }],
        ['an hourly schedule', { containmentTimerSchedule: '0 0 * * * *' }],
    ])('%s', (_case, params) => {
        const template = deploy(params);
        const app = appStarts(envOf(params));
        expect({ templateFails: template.failure !== undefined }).toEqual({ templateFails: !app.ok });
        // The deployment names the setting the app would name.
        if (!app.ok) expect(template.failure).toContain(app.setting);
        else expect(appStarts(template.settings!)).toEqual({ ok: true });
    });
});
