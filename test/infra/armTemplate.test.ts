import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { SETTINGS } from '../../shared/config';
import { GraphActions } from '../../shared/graph/graphActions';
import { ALL_GRAPH_APP_ROLES, GRAPH_APP_ROLES } from '../../shared/graph/permissions';

/**
 * Cross-checks the compiled infrastructure against the code: the settings the app reads, the data-plane calls it
 * makes, and the Graph calls it can make. Compiles with the real Bicep compiler (infra/scripts/bicep.sh).
 */
const root = join(__dirname, '..', '..');
const out = join(root, 'infra', '.out');

interface ArmResource {
    type: string;
    name: string;
    scope?: string;
    properties?: Record<string, unknown>;
}

let resources: ArmResource[];
let variables: Record<string, unknown>;
let mainTemplate: { parameters: Record<string, { defaultValue?: unknown }> };
let tenantTemplate: string;

const ROLE = {
    blobOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
    tableContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
    eventHubsReceiver: 'a638d3c7-ab3a-418d-83e6-5f17a39d4fde',
    metricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb',
};

beforeAll(() => {
    const bicep = join(root, 'infra', 'scripts', 'bicep.sh');
    for (const file of ['infra/main.bicep', 'infra/tenant/entra-diagnostic-setting.bicep']) {
        execFileSync('bash', [bicep, 'build', join(root, file), '--outdir', out], { stdio: 'pipe', timeout: 240_000 });
    }
    const main = JSON.parse(readFileSync(join(out, 'main.json'), 'utf8')) as {
        parameters: Record<string, { defaultValue?: unknown }>;
        resources: ArmResource[];
    };
    mainTemplate = main;
    const module = main.resources.find((r) => r.type === 'Microsoft.Resources/deployments')!;
    const inner = module.properties!.template as { resources: ArmResource[]; variables: Record<string, unknown> };
    resources = inner.resources;
    variables = inner.variables;
    tenantTemplate = readFileSync(join(out, 'entra-diagnostic-setting.json'), 'utf8');
}, 300_000);

/** Inlines the module's string variables (`variables('x')`, `variables('roles').y`) so that assertions read values. */
function resolve(expression: string): string {
    return expression
        .replace(
            /variables\('(\w+)'\)\.(\w+)/g,
            (_m, v: string, k: string) => `'${String((variables[v] as Record<string, unknown>)[k])}'`,
        )
        .replace(/variables\('(\w+)'\)/g, (_m, v: string) => `'${String(variables[v])}'`);
}

const ofType = (type: string) => resources.filter((r) => r.type === type);
const appSettings = () => ofType('Microsoft.Web/sites/config')[0]!.properties as Record<string, string>;

describe('compiled main.bicep', () => {
    it('sets every product setting on the function app', () => {
        const settings = appSettings();
        const deployed = Object.entries(SETTINGS).filter(([, spec]) => !('localOnly' in spec && spec.localOnly));
        for (const [name] of deployed) expect({ name, set: name in settings }).toEqual({ name, set: true });
    });

    it('gives the Event Hub trigger and host storage identity-based connections', () => {
        const settings = appSettings();
        const trigger = readFileSync(join(root, 'functions', 'signInEvents.ts'), 'utf8');
        const connection = /connection: '([^']+)'/.exec(trigger)![1]!;
        for (const suffix of ['fullyQualifiedNamespace', 'credential', 'clientId'])
            expect(settings).toHaveProperty(`${connection}__${suffix}`);
        expect(settings[`${connection}__credential`]).toBe('managedidentity');
        expect(settings.AzureWebJobsStorage__credential).toBe('managedidentity');
        expect(settings).not.toHaveProperty('AzureWebJobsStorage');
    });

    it('keeps secrets and keys out of the app settings', () => {
        const text = JSON.stringify(appSettings());
        expect(text).not.toMatch(/listKeys|AccountKey|SharedAccessKey|primaryKey|secondaryKey|connectionString\(/i);
        // The Application Insights connection string holds only an instrumentation key, which is an identifier:
        // local auth is off on the component, so ingestion needs the identity (APPLICATIONINSIGHTS_AUTHENTICATION_STRING).
        expect(ofType('Microsoft.Insights/components')[0]!.properties!.DisableLocalAuth).toBe(true);
        expect(appSettings().APPLICATIONINSIGHTS_AUTHENTICATION_STRING).toMatch(/Authorization=AAD/);
        expect(ofType('Microsoft.Storage/storageAccounts')[0]!.properties!.allowSharedKeyAccess).toBe(false);
    });

    it('is safe by default: dry-run unless the deployer says live', () => {
        expect(mainTemplate.parameters.containmentMode!.defaultValue).toBe('dry-run');
        expect(JSON.stringify(resources.find((r) => r.type === 'Microsoft.Resources/deployments') ?? {})).not.toMatch(
            /'live'/,
        );
    });

    it('grants a role for every data-plane call the code makes, at the narrowest scope', () => {
        const assignments = ofType('Microsoft.Authorization/roleAssignments').map((r) => ({
            role: resolve(String(r.properties!.roleDefinitionId)),
            scope: r.scope ?? '',
        }));
        const grantOn = (role: string) => assignments.filter((a) => a.role.includes(role)).map((a) => a.scope);
        // Table rows (TableStateStore, TableCircuitBreaker): the state table only.
        expect(grantOn(ROLE.tableContributor)).toEqual([
            expect.stringContaining("'Microsoft.Storage/storageAccounts/tableServices/tables'"),
        ]);
        // Event Hubs receive (signInEvents trigger): the hub only, not the namespace.
        expect(grantOn(ROLE.eventHubsReceiver)).toEqual([
            expect.stringContaining("'Microsoft.EventHub/namespaces/eventhubs'"),
        ]);
        // Host checkpoints, leases, timer locks and the Flex package: blobs of the one storage account.
        expect(grantOn(ROLE.blobOwner)).toEqual([expect.stringContaining("'Microsoft.Storage/storageAccounts'")]);
        expect(grantOn(ROLE.metricsPublisher)).toEqual([expect.stringContaining("'Microsoft.Insights/components'")]);
        expect(assignments).toHaveLength(4);
        // The table the role covers is the table the app uses.
        const table = ofType('Microsoft.Storage/storageAccounts/tableServices/tables')[0]!;
        expect(resolve(table.name)).toContain(
            `'${resolve(appSettings().STATE_TABLE_NAME!).replace(/^\[?'|'\]?$/g, '')}'`,
        );
    });

    it('reads with its own consumer group and lets the diagnostic setting only send', () => {
        const cg = ofType('Microsoft.EventHub/namespaces/eventhubs/consumergroups')[0]!;
        const group = resolve(appSettings().EVENTHUB_CONSUMER_GROUP!).replace(/^\[?'|'\]?$/g, '');
        expect(group).not.toBe('$Default');
        expect(resolve(cg.name)).toContain(`'${group}'`);
        expect(ofType('Microsoft.EventHub/namespaces/authorizationRules')[0]!.properties!.rights).toEqual(['Send']);
        expect(ofType('Microsoft.EventHub/namespaces')[0]!.properties!.disableLocalAuth).toBe(false);
    });

    it('runs on Flex Consumption, Node 20, with the identity for the deployment package', () => {
        const site = ofType('Microsoft.Web/sites')[0]!;
        const config = site.properties!.functionAppConfig as {
            runtime: unknown;
            deployment: { storage: { authentication: { type: string } } };
        };
        expect(config.runtime).toEqual({ name: 'node', version: '20' });
        expect(config.deployment.storage.authentication.type).toBe('UserAssignedIdentity');
        expect(ofType('Microsoft.Web/serverfarms')[0]!.properties).toMatchObject({ reserved: true });
    });
});

describe('tenant template', () => {
    it('streams user sign-in and audit categories only, to the hub by name', () => {
        expect(tenantTemplate).toContain("'SignInLogs'");
        expect(tenantTemplate).toContain("'NonInteractiveUserSignInLogs'");
        expect(tenantTemplate).toContain("'AuditLogs'");
        expect(tenantTemplate).not.toMatch(/ServicePrincipalSignInLogs|ManagedIdentitySignInLogs/);
        expect(tenantTemplate).toMatch(/"eventHubName": "\[parameters\('eventHubName'\)\]"/);
        expect(JSON.parse(tenantTemplate).$schema).toMatch(/tenantDeploymentTemplate/);
    });
});

describe('Graph permissions', () => {
    it('lists an app role for every Graph call the product can make', () => {
        const methods = Object.getOwnPropertyNames(GraphActions.prototype).filter((m) => m !== 'constructor');
        expect(methods.sort()).toEqual(Object.keys(GRAPH_APP_ROLES).sort());
    });

    it('grants every role in both the Bicep template and the az script', () => {
        const bicep = readFileSync(join(root, 'infra', 'graph', 'graph-permissions.bicep'), 'utf8');
        const script = readFileSync(join(root, 'infra', 'scripts', 'grant-graph-permissions.sh'), 'utf8');
        for (const role of ALL_GRAPH_APP_ROLES) {
            expect({
                role,
                bicep: bicep.includes(`'${role}'`),
                script: new RegExp(`[ (]${role.replace(/\./g, '\\.')}[ )]`).test(script),
            }).toEqual({ role, bicep: true, script: true });
        }
    });
});
