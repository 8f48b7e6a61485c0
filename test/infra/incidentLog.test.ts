import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { SETTINGS } from '../../shared/settings/settings';
import { SENTINEL_ROW_COLUMNS } from '../../shared/sentinel/sentinelRow';
import { compileBicep } from './compile';

/**
 * The incident rows the code sends against what the Bicep deploys: the table's schema, the data collection rule's
 * stream declaration, the role that lets the identity send, the app settings that point at the rule, and the
 * Sentinel rule's query and mappings. Compiles main.bicep with the real Bicep compiler (infra/scripts/bicep.sh).
 */
const root = join(__dirname, '..', '..');

interface ArmResource {
    type: string;
    name: string;
    scope?: string;
    condition?: string;
    properties: Record<string, unknown>;
}
interface ArmTemplate {
    parameters: Record<string, { defaultValue?: unknown }>;
    variables: Record<string, unknown>;
    resources: ArmResource[];
}

let main: ArmTemplate;
let app: ArmTemplate;
let incidentLog: ArmTemplate;
let sentinel: ArmTemplate;

const nested = (t: ArmTemplate, name: RegExp): ArmTemplate =>
    t.resources.find((r) => r.type === 'Microsoft.Resources/deployments' && name.test(r.name))!.properties
        .template as ArmTemplate;
const ofType = (t: ArmTemplate, type: string) => t.resources.filter((r) => r.type === type);

/** A variable's value, following `[variables('x')]` references. */
function variable(t: ArmTemplate, name: string): unknown {
    const v = t.variables[name];
    const ref = typeof v === 'string' ? /^\[variables\('([^']+)'\)\]$/.exec(v) : null;
    return ref ? variable(t, ref[1]!) : v;
}

beforeAll(() => {
    main = JSON.parse(compileBicep(['infra/main.bicep']).main!) as ArmTemplate;
    app = nested(main, /mfa-responder/);
    incidentLog = nested(app, /incident-log/);
    sentinel = nested(app, /sentinel-rule/);
}, 300_000);

const code = SENTINEL_ROW_COLUMNS.map((c) => ({ name: c.name, type: c.type }));

describe('incident rows: code and infrastructure agree', () => {
    it('declares in the data collection rule stream exactly the columns the code sends, with their types', () => {
        const dcr = ofType(incidentLog, 'Microsoft.Insights/dataCollectionRules')[0]!;
        expect(dcr).toMatchObject({ kind: 'Direct' });
        const streams = dcr.properties.streamDeclarations as Record<string, { columns: string }>;
        const [[key, declaration]] = Object.entries(streams) as [[string, { columns: string }]];
        expect(key).toBe("[format('{0}', variables('streamName'))]");
        expect(variable(incidentLog, 'streamName')).toMatch(/^\[format\('Custom-\{0\}', variables\('tableName'\)\)\]$/);
        const ref = /^\[variables\('(\w+)'\)\]$/.exec(declaration.columns)![1]!;
        expect(variable(incidentLog, ref)).toEqual(code);
    });

    it('gives the table the same columns (dateTime spelled as the table wants it), on the Analytics plan', () => {
        const table = ofType(incidentLog, 'Microsoft.OperationalInsights/workspaces/tables')[0]!;
        const schema = (table.properties as { plan: string; schema: { columns: string; name: string } }).schema;
        expect(table.properties.plan).toBe('Analytics');
        // The table's columns are the stream's, with one spelling changed: check the expression, then apply it.
        expect(schema.columns).toBe(
            "[map(variables('columns'), lambda('c', createObject('name', lambdaVariables('c').name, 'type', if(equals(lambdaVariables('c').type, 'datetime'), 'dateTime', lambdaVariables('c').type))))]",
        );
        const columns = (variable(incidentLog, 'columns') as typeof code).map((c) => ({
            name: c.name,
            type: c.type === 'datetime' ? 'dateTime' : c.type,
        }));
        expect(columns.map((c) => c.name)).toEqual(code.map((c) => c.name));
        expect(new Set(columns.map((c) => c.type))).toEqual(
            new Set(['dateTime', 'string', 'int', 'boolean', 'dynamic']),
        );
        expect(variable(incidentLog, 'tableName')).toBe('MfaFatigueIncidents_CL');
    });

    it('names columns as Log Analytics allows: a letter first, at most 45 characters, none reserved', () => {
        const reserved = ['_ResourceId', 'id', '_SubscriptionId', 'TenantId', 'Type', 'UniqueId', 'Title'];
        for (const { name } of code) {
            expect({ name, ok: /^[A-Za-z][A-Za-z0-9_]{0,44}$/.test(name) }).toEqual({ name, ok: true });
            expect(reserved.map((r) => r.toLowerCase())).not.toContain(name.toLowerCase());
        }
        expect(code.filter((c) => c.name === 'TimeGenerated')).toEqual([{ name: 'TimeGenerated', type: 'datetime' }]);
    });

    it('lets the identity send to that one rule (Monitoring Metrics Publisher), and points the app at it', () => {
        const assignments = ofType(incidentLog, 'Microsoft.Authorization/roleAssignments');
        expect(assignments).toHaveLength(1);
        expect(assignments[0]!.scope).toMatch(/^\[resourceId\('Microsoft\.Insights\/dataCollectionRules'/);
        expect(String(assignments[0]!.properties.roleDefinitionId)).toContain('monitoringMetricsPublisher');
        expect(variable(incidentLog, 'monitoringMetricsPublisher')).toBe('3913510d-42f4-4e42-8a64-420c390055eb');
        const module = app.resources.find((r) => /incident-log/.test(r.name))!;
        expect(JSON.stringify(module.properties.parameters)).toContain(
            "reference(resourceId('Microsoft.ManagedIdentity/userAssignedIdentities'",
        );
        // The app settings, as the compiled union of what follows from the resources created and the parameters.
        const settings = ofType(app, 'Microsoft.Web/sites/config')[0]!.properties as unknown as string;
        const setting = (name: string) =>
            new RegExp(
                `'${name}', coalesce\\(tryGet\\(if\\(parameters\\('incidentLog'\\), reference\\(.*?'incident-log-\\{0\\}'.*?'outputs', '(\\w+)', 'value'\\), '([^']*)'\\)`,
            ).exec(settings);
        expect(setting('LOGS_INGESTION_ENDPOINT')?.slice(1)).toEqual(['endpoint', '']);
        expect(setting('LOGS_INGESTION_RULE_ID')?.slice(1)).toEqual(['ruleId', '']);
        expect(setting('LOGS_INGESTION_STREAM')?.slice(1)).toEqual(['stream', SETTINGS.LOGS_INGESTION_STREAM.default]);
        // When the rows are off, the stream falls back to the app's default, which is the rule's stream.
        expect(SETTINGS.LOGS_INGESTION_STREAM.default).toBe(`Custom-${String(variable(incidentLog, 'tableName'))}`);
        const outputs = (incidentLog as unknown as { outputs: Record<string, { value: string }> }).outputs;
        expect(outputs.endpoint!.value).toMatch(/\.endpoints\.logsIngestion\]$/);
        expect(outputs.ruleId!.value).toMatch(/\.immutableId\]$/);
    });

    it('sends rows by default, against the workspace it creates, and leaves the Sentinel rule opt-in', () => {
        expect(main.parameters.incidentLog!.defaultValue).toBe(true);
        expect(main.parameters.incidentLogWorkspaceId!.defaultValue).toBe('');
        expect(main.parameters.sentinelAnalyticRule!.defaultValue).toBe(false);
        expect(main.parameters.notifyFormat!.defaultValue).toBe('json');
        const module = app.resources.find((r) => /incident-log/.test(r.name))!;
        expect(module.condition).toBe("[parameters('incidentLog')]");
        expect(app.resources.find((r) => /sentinel-rule/.test(r.name))!.condition).toBe(
            "[and(parameters('incidentLog'), parameters('sentinelAnalyticRule'))]",
        );
    });
});

describe('the Sentinel analytic rule', () => {
    const rule = () => ofType(sentinel, 'Microsoft.SecurityInsights/alertRules')[0]!;
    const kql = () => readFileSync(join(root, 'infra', 'sentinel', 'analytic-rule.kql'), 'utf8');
    /** The columns the rule's query outputs: its last `project`. */
    const projected = () =>
        /\| project ([\s\S]+)$/
            .exec(kql().replace(/\/\/.*$/gm, ''))![1]!
            .split(',')
            .map((c) => c.trim());

    it('is Scheduled, one alert per row (per campaign for push spray), grouped into one Sentinel incident per responder incident or campaign', () => {
        const r = rule();
        expect(r).toMatchObject({ kind: 'Scheduled' });
        expect(r.properties).toMatchObject({
            queryFrequency: 'PT5M',
            eventGroupingSettings: { aggregationKind: 'AlertPerResult' },
            tactics: ['CredentialAccess'],
            techniques: ['T1621'],
            incidentConfiguration: {
                createIncident: true,
                groupingConfiguration: {
                    enabled: true,
                    matchingMethod: 'Selected',
                    groupByCustomDetails: ['GroupId'],
                },
            },
        });
        // The query is the .kql file in the repository, word for word.
        expect(variable(sentinel, 'ruleQuery')).toBe(kql());
        expect(kql()).toMatch(/^MfaFatigueIncidents_CL$/m);
        expect(kql()).toMatch(/ingestion_time\(\) > ago\(5m\)/);
    });

    it('maps the user (AadUserId, Name and UPN suffix) and the addresses to entities, from columns the query outputs', () => {
        const columns = new Set(projected());
        const mappings = rule().properties.entityMappings as Array<{
            entityType: string;
            fieldMappings: Array<{ identifier: string; columnName: string }>;
        }>;
        expect(mappings.find((m) => m.entityType === 'Account')!.fieldMappings).toEqual([
            { identifier: 'AadUserId', columnName: 'UserId' },
            { identifier: 'Name', columnName: 'UpnName' },
            { identifier: 'UPNSuffix', columnName: 'UpnSuffix' },
        ]);
        expect(mappings.filter((m) => m.entityType === 'IP').length).toBeGreaterThanOrEqual(4);
        expect(mappings.length).toBeLessThanOrEqual(10);
        for (const m of mappings) {
            expect(m.fieldMappings.length).toBeLessThanOrEqual(3);
            for (const f of m.fieldMappings)
                expect({ column: f.columnName, out: columns.has(f.columnName) }).toEqual({
                    column: f.columnName,
                    out: true,
                });
        }
        const details = rule().properties.customDetails as Record<string, string>;
        expect(Object.keys(details).length).toBeLessThanOrEqual(20);
        for (const column of Object.values(details)) expect(columns).toContain(column);
        expect(details).toMatchObject({
            IncidentId: 'IncidentId',
            Trigger: 'Trigger',
            Containment: 'ContainmentStatus',
        });
    });

    it('takes each alert title, description and severity from its row', () => {
        const override = rule().properties.alertDetailsOverride as Record<string, string>;
        expect(override).toEqual({
            alertDisplayNameFormat: '{{Headline}}',
            alertDescriptionFormat: '{{Summary}}',
            alertSeverityColumnName: 'Severity',
        });
        const columns = new Set(projected());
        for (const c of ['Headline', 'Summary', 'Severity']) expect(columns).toContain(c);
    });

    it('projects only table columns and the ones its query makes', () => {
        const made = new Set([
            'UpnName',
            'UpnSuffix',
            'IPAddress1',
            'IPAddress2',
            'IPAddress3',
            'IPAddress4',
            'GroupId',
        ]);
        const table = new Set<string>(code.map((c) => c.name));
        for (const c of projected()) expect({ c, known: table.has(c) || made.has(c) }).toEqual({ c, known: true });
    });

    it('ships its hunting queries from infra/sentinel/hunting, each over the incident table', () => {
        const hunting = variable(incidentLog, 'hunting') as Array<{ id: string; query: string }>;
        expect(hunting.length).toBeGreaterThanOrEqual(4);
        for (const q of hunting) {
            const file = readFileSync(join(root, 'infra', 'sentinel', 'hunting', `${q.id}.kql`), 'utf8');
            expect(variable(incidentLog, /^\[variables\('(.+)'\)\]$/.exec(q.query)![1]!)).toBe(file);
            expect(file).toContain('MfaFatigueIncidents_CL');
        }
        expect(
            ofType(incidentLog, 'Microsoft.OperationalInsights/workspaces/savedSearches')[0]!.properties,
        ).toMatchObject({ category: 'Hunting Queries' });
    });
});
