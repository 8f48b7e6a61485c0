import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

import { AzAnswer, startStandInAz } from '../support/standInAz';

/**
 * Streaming sign-ins to the hub: infra/scripts/set-entra-diagnostic-setting.sh puts the tenant's diagnostic setting with
 * one Azure Resource Manager call (no role at the tenant root), run here against a stand-in `az`. No template in the
 * repository deploys at the tenant root any more.
 */
const root = join(__dirname, '..', '..');
const SCRIPT = join(root, 'infra', 'scripts', 'set-entra-diagnostic-setting.sh');
const RULE =
    '/subscriptions/00000000-1111-4222-8333-444444444444/resourceGroups/rg-mfa-prod/providers/Microsoft.EventHub/namespaces/evhns-mfa-abc/authorizationRules/entra-diagnostics-send';
const URL = '/providers/microsoft.aadiam/diagnosticSettings/mfa-fatigue-responder?api-version=2017-04-01';

function answers(readBack: { categories: string; hub: string }): AzAnswer[] {
    return [
        { match: /^rest --method put --url \S+ --headers Content-Type=application\/json --body / },
        { match: /^rest --method get --url \S+ --query join\(/, stdout: `${readBack.categories}\n` },
        { match: /^rest --method get --url \S+ --query properties\.eventHubName /, stdout: `${readBack.hub}\n` },
        { match: /^rest --method delete --url / },
    ];
}

function run(args: string[], env: Record<string, string>, az: ReturnType<typeof startStandInAz>) {
    return spawnSync('bash', [SCRIPT, ...args], { encoding: 'utf8', env: az.env(env) });
}

describe('infra/scripts/set-entra-diagnostic-setting.sh', () => {
    it('puts the setting with the Send rule and the hub by name, user sign-ins and audit logs only, and reads it back', () => {
        const az = startStandInAz(
            answers({ categories: 'SignInLogs,NonInteractiveUserSignInLogs,AuditLogs', hub: 'entra-signins' }),
        );
        try {
            // The azd environment's outputs are the defaults: `eval "$(azd env get-values)"` is enough.
            const r = run([], { DIAGNOSTIC_SEND_RULE_ID: RULE, EVENTHUB_NAME: 'entra-signins' }, az);
            expect(r.stderr).toBe('');
            expect(r.status).toBe(0);
            const [put, ...reads] = az.calls();
            expect(put!.slice(0, 4)).toEqual(['rest', '--method', 'put', '--url']);
            // Relative to the signed-in cloud's Resource Manager endpoint (az rest resolves it), stable API version.
            expect(put![4]).toBe(URL);
            expect(JSON.parse(put![put!.indexOf('--body') + 1]!)).toEqual({
                properties: {
                    eventHubAuthorizationRuleId: RULE,
                    eventHubName: 'entra-signins',
                    logs: [
                        { category: 'SignInLogs', enabled: true },
                        { category: 'NonInteractiveUserSignInLogs', enabled: true },
                        { category: 'AuditLogs', enabled: true },
                    ],
                },
            });
            expect(reads.map((c) => c.slice(0, 5))).toEqual([
                ['rest', '--method', 'get', '--url', URL],
                ['rest', '--method', 'get', '--url', URL],
            ]);
            expect(r.stdout).toMatch(/Entra streams SignInLogs,NonInteractiveUserSignInLogs,AuditLogs to the hub/);
        } finally {
            az.close();
        }
    });

    it('leaves out non-interactive sign-ins and audit logs on request, and fails when the read-back disagrees', () => {
        const az = startStandInAz(answers({ categories: 'AuditLogs', hub: 'entra-signins' }));
        try {
            const r = run(
                ['--rule-id', RULE, '--hub', 'entra-signins', '--no-non-interactive', '--no-audit-logs'],
                {},
                az,
            );
            const put = az.calls()[0]!;
            expect(
                (JSON.parse(put[put.indexOf('--body') + 1]!) as { properties: { logs: unknown[] } }).properties.logs,
            ).toEqual([{ category: 'SignInLogs', enabled: true }]);
            expect(r.status).toBe(1);
            expect(r.stderr).toMatch(/reads back as streaming 'AuditLogs' to 'entra-signins', not SignInLogs/);
        } finally {
            az.close();
        }
    });

    it('refuses a rule id that is not a namespace authorization rule, before any call', () => {
        const az = startStandInAz([]);
        try {
            const r = run(['--rule-id', '/subscriptions/x/resourceGroups/y', '--hub', 'entra-signins'], {}, az);
            expect(r.status).toBe(2);
            expect(r.stderr).toMatch(/--rule-id must be the namespace's authorization rule id/);
            expect(az.calls()).toEqual([]);
        } finally {
            az.close();
        }
    });

    it('deletes the setting (teardown)', () => {
        const az = startStandInAz(answers({ categories: '', hub: '' }));
        try {
            const r = run(['--delete'], {}, az);
            expect(r.status).toBe(0);
            expect(az.calls()).toEqual([['rest', '--method', 'delete', '--url', URL]]);
        } finally {
            az.close();
        }
    });

    it('is the only route: no template deploys at the tenant root, and none assigns a role at "/"', () => {
        const templates: string[] = [];
        const walk = (dir: string) => {
            for (const e of readdirSync(dir, { withFileTypes: true })) {
                if (e.isDirectory() && e.name !== '.out' && e.name !== 'tools') walk(join(dir, e.name));
                else if (e.name.endsWith('.bicep')) templates.push(join(dir, e.name));
            }
        };
        walk(join(root, 'infra'));
        expect(templates.length).toBeGreaterThan(0);
        for (const t of templates) {
            const text = readFileSync(t, 'utf8');
            expect({ t: relative(root, t), tenant: /targetScope\s*=\s*'tenant'/.test(text) }).toEqual({
                t: relative(root, t),
                tenant: false,
            });
            expect(text).not.toMatch(/elevateAccess|scope:\s*tenant\(\)/);
        }
    });
});
