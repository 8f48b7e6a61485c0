import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The operator's right to send drills: Azure Event Hubs Data Sender (built-in role 2b629674-e913-4c01-ae53-ef4638d8f975,
 * https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/analytics#azure-event-hubs-data-sender)
 * on the sign-in hub only, and only when a principal is named. Compiled with the real Bicep compiler.
 */
const root = join(__dirname, '..', '..');

describe('drill sender role (infra/app/drill-sender.bicep)', () => {
    it('grants Data Sender on the hub, to the principal given, and resources.bicep adds it only when one is named', () => {
        const out = mkdtempSync(join(tmpdir(), 'drill-sender-'));
        try {
            execFileSync(
                'bash',
                [
                    join(root, 'infra', 'scripts', 'bicep.sh'),
                    'build',
                    join(root, 'infra', 'app', 'drill-sender.bicep'),
                    '--outdir',
                    out,
                ],
                {
                    stdio: 'pipe',
                    timeout: 240_000,
                },
            );
            const template = JSON.parse(readFileSync(join(out, 'drill-sender.json'), 'utf8')) as {
                resources: Array<{ type: string; scope?: string; properties?: Record<string, string> }>;
                variables: Record<string, string>;
            };
            const assignments = template.resources.filter((r) => r.type === 'Microsoft.Authorization/roleAssignments');
            expect(assignments).toHaveLength(1);
            expect(template.variables.eventHubsDataSender).toBe('2b629674-e913-4c01-ae53-ef4638d8f975');
            expect(assignments[0]!.scope).toMatch(/Microsoft\.EventHub\/namespaces\/eventhubs/);
            expect(assignments[0]!.properties!.principalId).toBe("[parameters('principalId')]");
        } finally {
            rmSync(out, { recursive: true, force: true });
        }
        const resources = readFileSync(join(root, 'infra', 'app', 'resources.bicep'), 'utf8');
        expect(resources).toMatch(/module drillSender 'drill-sender\.bicep' = if \(!empty\(drillSenderPrincipalId\)\)/);
        expect(readFileSync(join(root, 'infra', 'main.parameters.json'), 'utf8')).toContain(
            '${DRILL_SENDER_PRINCIPAL_ID}',
        );
    }, 300_000);
});
