import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { compileBicep } from './compile';

/**
 * The compiled templates, checked for what makes a redeploy safe and a deployment least-privileged: saved searches
 * replaced with an etag, the webhook secret only in Key Vault behind a reference, current API versions, the deployer's
 * read-only probe role, and the Node.js version the app, package.json and CI agree on. Real Bicep compiler.
 */
const root = join(__dirname, '..', '..');

interface ArmResource {
    type: string;
    apiVersion?: string;
    name: string;
    condition?: string;
    scope?: string;
    etag?: string;
    properties?: Record<string, unknown>;
    resources?: ArmResource[];
}
interface ArmTemplate {
    parameters: Record<string, { type: string; defaultValue?: unknown }>;
    variables?: Record<string, unknown>;
    resources: ArmResource[];
    outputs?: Record<string, { type: string; value: string }>;
}

let main: ArmTemplate;
let text: string;
/** Every resource of the template and its nested deployments, with the deployment it belongs to. */
const all: Array<{ resource: ArmResource; template: ArmTemplate }> = [];

beforeAll(() => {
    text = compileBicep(['infra/main.bicep']).main!;
    main = JSON.parse(text) as ArmTemplate;
    const walk = (t: ArmTemplate) => {
        for (const r of t.resources) {
            all.push({ resource: r, template: t });
            const inner = (r.properties as { template?: ArmTemplate } | undefined)?.template;
            if (r.type === 'Microsoft.Resources/deployments' && inner) walk(inner);
        }
    };
    walk(main);
}, 300_000);

const ofType = (type: string) => all.filter((x) => x.resource.type === type).map((x) => x.resource);
const app = () => all.find((x) => x.resource.type === 'Microsoft.Web/sites')!;

describe('redeploys', () => {
    it('replace each hunting query with etag "*", so that the second provision does not answer 409', () => {
        const searches = ofType('Microsoft.OperationalInsights/workspaces/savedSearches');
        expect(searches.length).toBeGreaterThan(0);
        for (const s of searches) {
            expect(s.etag).toBe('*');
            expect(s.properties!.etag).toBe('*');
        }
    });

    it('use only current API versions: the linter rule is on, and the compiler finds none older', () => {
        for (const config of ['infra/bicepconfig.json', 'infra/graph/bicepconfig.json']) {
            const c = JSON.parse(readFileSync(join(root, config), 'utf8')) as {
                analyzers: { core: { rules: Record<string, { level: string }> } };
            };
            expect({ config, level: c.analyzers.core.rules['use-recent-api-versions']?.level }).toEqual({
                config,
                level: 'warning',
            });
        }
        const lint = execFileSync(
            'bash',
            [join(root, 'infra', 'scripts', 'bicep.sh'), 'lint', join(root, 'infra', 'main.bicep')],
            {
                encoding: 'utf8',
                stdio: 'pipe',
                timeout: 240_000,
            },
        );
        expect(lint).not.toMatch(/use-recent-api-versions/);
        // bicep-check.sh (CI) fails on any warning, this rule's included.
        expect(readFileSync(join(root, 'infra', 'scripts', 'bicep-check.sh'), 'utf8')).toMatch(
            /grep -qiE 'warning\|error'/,
        );
    });
});

describe('the webhook secret (NOTIFY_WEBHOOK_URL)', () => {
    const secretOf = () => ofType('Microsoft.KeyVault/vaults/secrets');

    it('is a secure parameter all the way down, and no output carries it', () => {
        expect(main.parameters.notifyWebhookUrl!.type).toBe('securestring');
        const module = main.resources.find((r) => r.type === 'Microsoft.Resources/deployments')!;
        const inner = (module.properties as { template: ArmTemplate }).template;
        expect(inner.parameters.notifyWebhookUrl!.type).toBe('securestring');
        // Nested parameters evaluated inside the module, so that the value is not logged with the outer deployment.
        expect(module.properties!.expressionEvaluationOptions).toEqual({ scope: 'inner' });
        for (const { template } of all)
            for (const [name, o] of Object.entries(template.outputs ?? {}))
                expect({ name, value: o.value }).not.toEqual({
                    name,
                    value: expect.stringContaining('notifyWebhookUrl'),
                });
    });

    it('is written only to the Key Vault secret: every other use only asks whether it is empty', () => {
        const [secret] = secretOf();
        expect(secretOf()).toHaveLength(1);
        expect(secret!.properties!.value).toBe("[parameters('notifyWebhookUrl')]");
        expect(secret!.condition).toBe("[not(empty(parameters('notifyWebhookUrl')))]");
        // The module receives it as a secure parameter (checked above); every resource of either template may only
        // test it for emptiness.
        const withoutPassing = all
            .filter((x) => x.resource !== secret)
            .map(({ resource: r }) => ({
                ...r,
                properties: {
                    ...r.properties,
                    template: undefined,
                    parameters: r.type === 'Microsoft.Resources/deployments' ? undefined : r.properties?.parameters,
                },
            }));
        const uses = JSON.stringify(withoutPassing).match(/[a-z(]*\(*parameters\('notifyWebhookUrl'\)/g);
        expect(uses?.length).toBeGreaterThan(0);
        for (const use of uses ?? []) expect(use).toMatch(/empty\(parameters\('notifyWebhookUrl'\)/);
    });

    it('is an app setting only as a Key Vault reference, resolved with the user-assigned identity', () => {
        const config = ofType('Microsoft.Web/sites/config').find((r) => r.name.includes("'appsettings'"))!;
        // The settings are one ARM expression (a string): union(<resource settings>, productSettings, {NOTIFY_WEBHOOK_URL}).
        const settings = config.properties as unknown as string;
        expect(typeof settings).toBe('string');
        expect(settings).toContain(
            "createObject('NOTIFY_WEBHOOK_URL', if(empty(parameters('notifyWebhookUrl')), '', format('@Microsoft.KeyVault(VaultName={0};SecretName={1})'",
        );
        expect(settings).not.toMatch(/createObject\('NOTIFY_WEBHOOK_URL', parameters\('notifyWebhookUrl'\)\)/);
        const site = app().resource;
        expect(site.properties!.keyVaultReferenceIdentity).toBe(
            "[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', format('id-mfa-{0}', parameters('resourceToken')))]",
        );
    });

    it("lives in a vault with RBAC only, readable by the app's identity alone, on that one secret", () => {
        const [vault] = ofType('Microsoft.KeyVault/vaults');
        expect(vault!.properties).toMatchObject({ enableRbacAuthorization: true, enableSoftDelete: true });
        expect(vault!.properties).not.toHaveProperty('accessPolicies');
        const onVault = ofType('Microsoft.Authorization/roleAssignments').filter((r) =>
            (r.scope ?? '').includes('Microsoft.KeyVault'),
        );
        expect(onVault).toHaveLength(1);
        expect(onVault[0]!.scope).toContain("'Microsoft.KeyVault/vaults/secrets'");
        expect(onVault[0]!.properties).toMatchObject({
            principalType: 'ServicePrincipal',
            // Key Vault Secrets User (read secret contents), https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/security#key-vault-secrets-user
            roleDefinitionId:
                "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', variables('roles').keyVaultSecretsUser)]",
        });
        expect(String(onVault[0]!.properties!.principalId)).toContain(
            "'Microsoft.ManagedIdentity/userAssignedIdentities'",
        );
        expect((app().template.variables!.roles as Record<string, string>).keyVaultSecretsUser).toBe(
            '4633458b-17de-408a-b874-0445c86b69e6',
        );
    });
});

describe('the first deployment', () => {
    it("gives the deployer read access to the deployment container only, for the predeploy hook's probe", () => {
        const probe = ofType('Microsoft.Authorization/roleAssignments').filter((r) =>
            String(r.properties!.roleDefinitionId).includes('storageBlobDataReader'),
        );
        expect(probe).toHaveLength(1);
        expect(probe[0]!.scope).toContain("'Microsoft.Storage/storageAccounts/blobServices/containers'");
        expect(probe[0]!.condition).toBe("[not(empty(parameters('deployerPrincipalId')))]");
        expect((app().template.variables!.roles as Record<string, string>).storageBlobDataReader).toBe(
            '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
        );
        expect(main.outputs!.DEPLOYMENT_CONTAINER_URL!.value).toContain('deploymentContainerUrl');
        const params = JSON.parse(readFileSync(join(root, 'infra', 'main.parameters.json'), 'utf8')) as {
            parameters: Record<string, { value: string }>;
        };
        // azd sets AZURE_PRINCIPAL_ID to whoever runs it; empty falls back to the deploying identity.
        expect(params.parameters.deployerPrincipalId!.value).toBe('${AZURE_PRINCIPAL_ID}');
        expect(text).toContain('deployer().objectId');
    });
});

describe('Node.js', () => {
    it('is one major version across the deployed app, package.json and the first CI run', () => {
        const runtime = app().resource.properties!.functionAppConfig as { runtime: { name: string; version: string } };
        expect(runtime.runtime.name).toBe('node');
        const major = runtime.runtime.version;
        const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
        expect(pkg.engines.node).toBe(`>=${major}`);
        const ci = readFileSync(join(root, '.ci', 'run'), 'utf8');
        expect(/^deployed_major=(\d+)$/m.exec(ci)?.[1]).toBe(major);
    });
});
