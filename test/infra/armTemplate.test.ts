import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { SETTINGS } from '../../shared/settings/settings';
import { GraphActions } from '../../shared/graph/graphActions';
import { ALL_GRAPH_APP_ROLES, GRAPH_APP_ROLES } from '../../shared/graph/permissions';
import { Node, parseExpression, render } from './armEvaluator';
import { compileBicep } from './compile';

/**
 * Cross-checks the compiled infrastructure against the code: the settings the app reads, the data-plane calls it
 * makes, and the Graph calls it can make. Compiles with the real Bicep compiler (infra/scripts/bicep.sh).
 */
const root = join(__dirname, '..', '..');

interface ArmResource {
    type: string;
    name: string;
    scope?: string;
    properties?: Record<string, unknown>;
}

let resources: ArmResource[];
let variables: Record<string, unknown>;
let mainTemplate: {
    parameters: Record<string, { defaultValue?: unknown }>;
    variables: Record<string, unknown>;
    resources: ArmResource[];
};
let moduleParameters: Record<string, { value: unknown }>;

const ROLE = {
    blobOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
    tableContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
    eventHubsReceiver: 'a638d3c7-ab3a-418d-83e6-5f17a39d4fde',
    metricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb',
    keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
    blobReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
};

beforeAll(() => {
    const compiled = compileBicep(['infra/main.bicep']);
    mainTemplate = JSON.parse(compiled.main!) as typeof mainTemplate;
    const module = mainTemplate.resources.find((r) => r.type === 'Microsoft.Resources/deployments')!;
    moduleParameters = module.properties!.parameters as typeof moduleParameters;
    const inner = module.properties!.template as { resources: ArmResource[]; variables: Record<string, unknown> };
    resources = inner.resources;
    variables = inner.variables;
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
/**
 * The function app's settings resource: union(<settings from the module's resources>, productSettings,
 * {NOTIFY_WEBHOOK_URL}). The compiler inlines the first object as createObject(name, value, ...); this reads it back.
 */
function appSettingsParts(): { resourceSettings: Record<string, string>; rest: string[] } {
    const config = ofType('Microsoft.Web/sites/config').filter((r) => r.name.includes("'appsettings'"));
    expect(config).toHaveLength(1);
    const union = parseExpression(config[0]!.properties as unknown as string);
    if (union.kind !== 'call' || union.name !== 'union') throw new Error('the app settings are not a union()');
    const [first, ...rest] = union.args as [Node, ...Node[]];
    if (first.kind !== 'call' || first.name !== 'createObject') throw new Error('expected createObject() first');
    const resourceSettings: Record<string, string> = {};
    for (let i = 0; i < first.args.length; i += 2) {
        const key = first.args[i]!;
        if (key.kind !== 'literal') throw new Error('a computed setting name');
        resourceSettings[String(key.value)] = render(first.args[i + 1]!);
    }
    return { resourceSettings, rest: rest.map(render) };
}
/** Settings the module derives from its resources. */
const resourceSettings = () => appSettingsParts().resourceSettings;
/** The product settings main.bicep passes in, one parameter each (test/infra/settingsParameters.test.ts). */
const productSettings = () => mainTemplate.variables.productSettings as Record<string, string>;
/** Every app setting name the function app gets. */
const deployedSettingNames = () => [
    ...Object.keys(resourceSettings()),
    ...Object.keys(productSettings()),
    'NOTIFY_WEBHOOK_URL',
];

describe('compiled main.bicep', () => {
    it('sets every setting on the function app, as one app-settings resource that owns them all', () => {
        const [product, webhook] = appSettingsParts().rest;
        expect(product).toBe("parameters('productSettings')");
        // The webhook URL is a Key Vault reference, never the secret itself (test/infra/deployTemplate.test.ts).
        expect(webhook).toMatch(
            /^createObject\('NOTIFY_WEBHOOK_URL', if\(empty\(parameters\('notifyWebhookUrl'\)\), '', format\('@Microsoft\.KeyVault/,
        );
        expect(moduleParameters.productSettings!.value).toBe("[variables('productSettings')]");
        const names = deployedSettingNames();
        // union() lets a later object win: no setting may be set twice.
        expect(names.length).toBe(new Set(names).size);
        const deployed = Object.entries(SETTINGS).filter(([, spec]) => !('localOnly' in spec && spec.localOnly));
        for (const [name] of deployed) expect({ name, set: names.includes(name) }).toEqual({ name, set: true });
    });

    it('gives the Event Hub trigger and host storage identity-based connections, at the endpoints the host uses', () => {
        const settings = resourceSettings();
        const trigger = readFileSync(join(root, 'functions', 'signInEvents.ts'), 'utf8');
        const connection = /connection: '([^']+)'/.exec(trigger)![1]!;
        for (const suffix of ['fullyQualifiedNamespace', 'credential', 'clientId'])
            expect(settings).toHaveProperty(`${connection}__${suffix}`);
        expect(settings[`${connection}__credential`]).toBe("'managedidentity'");
        // Blobs only (checkpoints, leases, timer locks, keys): an account name would make the host derive a Table
        // endpoint it has no rights on (Azure/azure-functions-host#10995).
        expect(
            Object.keys(settings)
                .filter((k) => k.startsWith('AzureWebJobsStorage'))
                .sort(),
        ).toEqual([
            'AzureWebJobsStorage__blobServiceUri',
            'AzureWebJobsStorage__clientId',
            'AzureWebJobsStorage__credential',
        ]);
        expect(settings.AzureWebJobsStorage__credential).toBe("'managedidentity'");
        expect(settings.AzureWebJobsStorage__blobServiceUri).toContain('primaryEndpoints.blob');
    });

    it('keeps secrets and keys out of the app settings', () => {
        const text = JSON.stringify({ ...resourceSettings(), ...productSettings() });
        expect(text).not.toMatch(/listKeys|AccountKey|SharedAccessKey|primaryKey|secondaryKey|connectionString\(/i);
        // The Application Insights connection string holds only an instrumentation key, which is an identifier:
        // local auth is off on the component, so ingestion needs the identity (APPLICATIONINSIGHTS_AUTHENTICATION_STRING).
        expect(ofType('Microsoft.Insights/components')[0]!.properties!.DisableLocalAuth).toBe(true);
        expect(resourceSettings().APPLICATIONINSIGHTS_AUTHENTICATION_STRING).toMatch(/Authorization=AAD/);
        expect(ofType('Microsoft.Storage/storageAccounts')[0]!.properties!.allowSharedKeyAccess).toBe(false);
    });

    it('is safe by default: dry-run unless the deployer says live', () => {
        expect(mainTemplate.parameters.containmentMode!.defaultValue).toBe('dry-run');
        expect(mainTemplate.parameters.allowNoBreakGlass!.defaultValue).toBe(false);
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
        // The webhook secret (the identity reads it) and the deployment container (the deployer's read, for the
        // predeploy hook): test/infra/deployTemplate.test.ts.
        expect(grantOn(ROLE.keyVaultSecretsUser)).toEqual([
            expect.stringContaining("'Microsoft.KeyVault/vaults/secrets'"),
        ]);
        expect(grantOn(ROLE.blobReader)).toEqual([
            expect.stringContaining("'Microsoft.Storage/storageAccounts/blobServices/containers'"),
        ]);
        expect(assignments).toHaveLength(6);
        // The table the role covers is the table the app uses.
        const table = ofType('Microsoft.Storage/storageAccounts/tableServices/tables')[0]!;
        expect(table.name).toContain("parameters('stateTableName')");
        expect(moduleParameters.stateTableName!.value).toBe("[parameters('stateTableName')]");
        expect(productSettings().STATE_TABLE_NAME).toBe("[parameters('stateTableName')]");
    });

    it('reads with its own consumer group and lets the diagnostic setting only send', () => {
        const cg = ofType('Microsoft.EventHub/namespaces/eventhubs/consumergroups')[0]!;
        expect(productSettings().EVENTHUB_CONSUMER_GROUP).toBe("[parameters('eventhubConsumerGroup')]");
        expect(moduleParameters.consumerGroupName!.value).toBe("[parameters('eventhubConsumerGroup')]");
        expect(mainTemplate.parameters.eventhubConsumerGroup!.defaultValue).toBe('mfa-responder');
        expect(cg.name).toContain("parameters('consumerGroupName')");
        // $Default exists on every hub; any other group is created.
        expect((cg as { condition?: string }).condition).toBe(
            "[not(equals(parameters('consumerGroupName'), '$Default'))]",
        );
        expect(ofType('Microsoft.EventHub/namespaces/authorizationRules')[0]!.properties!.rights).toEqual(['Send']);
        expect(ofType('Microsoft.EventHub/namespaces')[0]!.properties!.disableLocalAuth).toBe(false);
    });

    it('runs on Flex Consumption, Node 22 (the newest generally available), with the identity for the deployment package', () => {
        const site = ofType('Microsoft.Web/sites')[0]!;
        const config = site.properties!.functionAppConfig as {
            runtime: unknown;
            deployment: { storage: { authentication: { type: string } } };
        };
        expect(config.runtime).toEqual({ name: 'node', version: '22' });
        expect(config.deployment.storage.authentication.type).toBe('UserAssignedIdentity');
        expect(ofType('Microsoft.Web/serverfarms')[0]!.properties).toMatchObject({ reserved: true });
    });

    it('puts Entra ID authentication in front of the app only when a client id is given, refusing anonymous calls', () => {
        const auth = ofType('Microsoft.Web/sites/config').find((r) => r.name.includes("'authsettingsV2'"))!;
        expect((auth as { condition?: string }).condition).toBe("[not(empty(parameters('adminAuthClientId')))]");
        expect(mainTemplate.parameters.adminAuthClientId!.defaultValue).toBe('');
        expect(auth.properties).toMatchObject({
            platform: { enabled: true },
            globalValidation: { requireAuthentication: true, unauthenticatedClientAction: 'Return401' },
            identityProviders: {
                azureActiveDirectory: {
                    enabled: true,
                    registration: { clientId: "[parameters('adminAuthClientId')]" },
                    validation: {
                        allowedAudiences: [
                            "[parameters('adminAuthClientId')]",
                            "[format('api://{0}', parameters('adminAuthClientId'))]",
                        ],
                    },
                },
            },
        });
        // No excluded paths: every HTTP function is behind it.
        expect(JSON.stringify(auth.properties)).not.toContain('excludedPaths');
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
