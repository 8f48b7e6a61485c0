import { spawn } from 'node:child_process';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { startStandInAz, StandInAz } from '../support/standInAz';

/**
 * The azd hooks of azure.yaml, run as azd runs them, against local stand-ins: `azd` (its sign-in), the storage
 * account's blob endpoint, and Azure Resource Manager.
 */
const root = join(__dirname, '..', '..');
const WAIT = join(root, 'infra', 'scripts', 'wait-for-storage-roles.sh');
const DRIFT = join(root, 'infra', 'scripts', 'check-settings-drift.cjs');
const TOKEN = 'stand-in-token-for-azd';

interface Seen {
    readonly method: string;
    readonly url: string;
    readonly headers: IncomingMessage['headers'];
}

async function serve(
    answer: (req: IncomingMessage, seen: Seen[]) => { status: number; body?: unknown },
): Promise<{ url: string; seen: Seen[]; close: () => Promise<void> }> {
    const seen: Seen[] = [];
    const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
        const { status, body } = answer(req, seen);
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(body === undefined ? '' : JSON.stringify(body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        seen,
        close: () => new Promise((r) => server.close(() => r())),
    };
}

function azdStandIn(): StandInAz {
    return startStandInAz(
        [
            {
                match: /^auth token --scope \S+\/\.default --output json$/,
                stdout: JSON.stringify({ token: TOKEN, expiresOn: '2030-01-01T00:00:00Z' }),
            },
        ],
        'azd',
    );
}

function runHook(
    command: string,
    args: string[],
    env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
    return new Promise((resolve) => {
        const started = Date.now();
        const child = spawn(command, args, { env });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
    });
}

describe('azure.yaml', () => {
    const yaml = readFileSync(join(root, 'azure.yaml'), 'utf8');
    it('runs the settings check before every provision and the role wait before every deploy, failing on failure', () => {
        expect(yaml).toMatch(
            /^hooks:\n {4}preprovision:\n {8}shell: sh\n {8}run: node infra\/scripts\/check-settings-drift\.cjs\n(?: {8}.*\n)*? {8}continueOnError: false$/m,
        );
        expect(yaml).toMatch(
            /^ {4}predeploy:\n {8}shell: sh\n {8}run: bash infra\/scripts\/wait-for-storage-roles\.sh\n(?: {8}.*\n)*? {8}continueOnError: false$/m,
        );
    });
});

describe('predeploy: wait-for-storage-roles.sh', () => {
    let azd: StandInAz;
    beforeAll(() => {
        azd = azdStandIn();
    });
    afterAll(() => azd.close());

    it('waits while the deployment container answers 403 and goes on at the first 200', async () => {
        const blob = await serve((_req, seen) => ({ status: seen.length <= 2 ? 403 : 200 }));
        try {
            const r = await runHook(
                'bash',
                [WAIT],
                azd.env({
                    DEPLOYMENT_CONTAINER_URL: `${blob.url}/app-package-abc`,
                    WAIT_FOR_ROLES_INTERVAL_SECONDS: '1',
                }),
            );
            expect(r.stderr).toBe('');
            expect(r.code).toBe(0);
            expect(blob.seen).toHaveLength(3);
            for (const s of blob.seen) {
                expect(s.method).toBe('GET');
                expect(s.url).toBe('/app-package-abc?restype=container&comp=list&maxresults=1');
                expect(s.headers.authorization).toBe(`Bearer ${TOKEN}`);
                expect(s.headers['x-ms-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
            }
            expect(r.stdout.match(/answers 403/g)).toHaveLength(2);
            expect(r.stdout).toMatch(/storage roles work \(after \d+ s\); deploying/);
            // The sign-in azd deploys with: the principal the provision gave the probe role to.
            expect(azd.calls()[0]).toEqual([
                'auth',
                'token',
                '--scope',
                'https://storage.azure.com/.default',
                '--output',
                'json',
            ]);
        } finally {
            await blob.close();
        }
    });

    it('gives up after its bound, failing the deployment with what to do', async () => {
        const blob = await serve(() => ({ status: 403 }));
        try {
            const r = await runHook(
                'bash',
                [WAIT],
                azd.env({
                    DEPLOYMENT_CONTAINER_URL: `${blob.url}/app-package-abc`,
                    WAIT_FOR_ROLES_INTERVAL_SECONDS: '1',
                    WAIT_FOR_ROLES_TIMEOUT_SECONDS: '3',
                }),
            );
            expect(r.code).toBe(1);
            expect(r.stderr).toMatch(/after 3 s the deployment container still answers 403.*\n.*run azd deploy again/);
            expect(blob.seen.length).toBeGreaterThanOrEqual(2);
            expect(blob.seen.length).toBeLessThanOrEqual(4);
            expect(r.ms).toBeLessThan(10_000);
        } finally {
            await blob.close();
        }
    });

    it('does not wait when the environment has no deployment container output', async () => {
        const before = azd.calls().length;
        const r = await runHook('bash', [WAIT], azd.env({ DEPLOYMENT_CONTAINER_URL: '' }));
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(/DEPLOYMENT_CONTAINER_URL is not in this azd environment/);
        expect(azd.calls().length).toBe(before);
    });
});

describe('preprovision: check-settings-drift.cjs', () => {
    const SUB = '00000000-1111-4222-8333-444444444444';
    const SITE = `/subscriptions/${SUB}/resourceGroups/rg-mfa-prod/providers/Microsoft.Web/sites/func-mfa-abc`;
    const WEBHOOK_REF = '@Microsoft.KeyVault(VaultName=kv-mfa-abc;SecretName=notify-webhook-url)';
    let azd: StandInAz;
    beforeAll(() => {
        azd = azdStandIn();
    });
    afterAll(() => azd.close());

    /** Resource Manager with one deployed responder whose app settings are these (or none deployed). */
    async function arm(settings: Record<string, string> | undefined) {
        return serve((req) => {
            const url = req.url ?? '';
            if (req.method === 'GET' && url.startsWith(`/subscriptions/${SUB}/resources?`)) {
                expect(decodeURIComponent(url)).toContain("tagName eq 'azd-env-name' and tagValue eq 'mfa-prod'");
                return {
                    status: 200,
                    body: {
                        value: settings
                            ? [
                                  {
                                      id: `/subscriptions/${SUB}/resourceGroups/rg-mfa-prod/providers/Microsoft.Storage/storageAccounts/stmfaabc`,
                                      type: 'Microsoft.Storage/storageAccounts',
                                      tags: { 'azd-env-name': 'mfa-prod' },
                                  },
                                  {
                                      id: SITE,
                                      name: 'func-mfa-abc',
                                      type: 'Microsoft.Web/sites',
                                      tags: { 'azd-env-name': 'mfa-prod', 'azd-service-name': 'api' },
                                  },
                              ]
                            : [],
                    },
                };
            }
            if (req.method === 'POST' && url.startsWith(`${SITE}/config/appsettings/list?api-version=`))
                return { status: 200, body: { properties: settings } };
            return { status: 404, body: { error: { code: 'NotFound' } } };
        });
    }

    const LIVE = {
        CONTAINMENT_MODE: 'live',
        NEVER_CONTAIN: 'breakglass@contoso.com',
        NEVER_CONTAIN_GROUP_IDS: '',
        NOTIFY_WEBHOOK_URL: WEBHOOK_REF,
        PUSH_BLOCK_GROUP_ID: '2c3d4e5f-6071-4283-94a5-b6c7d8e9f0a1',
        DENIAL_THRESHOLD: '8',
        DENIAL_WINDOW_MINUTES: '10',
        AzureWebJobsStorage__credential: 'managedidentity',
    };
    const azdEnv = (extra: Record<string, string>) =>
        azd.env({ AZURE_ENV_NAME: 'mfa-prod', AZURE_SUBSCRIPTION_ID: SUB, ...extra });

    async function check(settings: Record<string, string> | undefined, extra: Record<string, string>) {
        const server = await arm(settings);
        try {
            return await runHook('node', [DRIFT], azdEnv({ ARM_ENDPOINT: server.url, ...extra }));
        } finally {
            await server.close();
        }
    }

    it('has nothing to compare before the first provision', async () => {
        const r = await check(undefined, {});
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(/nothing deployed for environment mfa-prod yet/);
    });

    it('stops a provision from an environment that lacks the deployed values, naming each, never the secret', async () => {
        const r = await check(LIVE, {});
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/STOPPED: provisioning func-mfa-abc from this azd environment would reset 5 setting/);
        expect(r.stderr).toMatch(
            /CONTAINMENT_MODE: deployed "live", .*would become "dry-run" \(a live responder would only watch/,
        );
        expect(r.stderr).toMatch(/NEVER_CONTAIN: deployed "breakglass@contoso\.com", .*would become "" \(break-glass/);
        expect(r.stderr).toMatch(
            /NOTIFY_WEBHOOK_URL: deployed \(set\), .*would become \(empty\) \(the SOC would get no notice\)/,
        );
        expect(r.stderr).toMatch(/PUSH_BLOCK_GROUP_ID: deployed/);
        expect(r.stderr).toMatch(/DENIAL_THRESHOLD: deployed "8", .*would become "5"/);
        expect(r.stderr).not.toMatch(/DENIAL_WINDOW_MINUTES|NEVER_CONTAIN_GROUP_IDS|AzureWebJobsStorage/);
        expect(r.stderr).not.toContain('KeyVault');
        expect(r.stderr).toMatch(/remote environment state/);
        expect(r.stderr).toMatch(/ALLOW_SETTINGS_RESET=true azd provision/);
    });

    it('lets the same environment through quietly', async () => {
        const r = await check(LIVE, {
            CONTAINMENT_MODE: 'live',
            NEVER_CONTAIN: 'breakglass@contoso.com',
            NOTIFY_WEBHOOK_URL: 'akvs://00000000-1111-4222-8333-444444444444/kv-ops/teams-webhook',
            PUSH_BLOCK_GROUP_ID: '2c3d4e5f-6071-4283-94a5-b6c7d8e9f0a1',
            DENIAL_THRESHOLD: '8',
        });
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect(r.stdout).toBe('');
    });

    it('goes on with a loud warning when the environment itself switches to dry-run and empties a list', async () => {
        const r = await check(LIVE, {
            CONTAINMENT_MODE: 'dry-run',
            NEVER_CONTAIN: '',
            NOTIFY_WEBHOOK_URL: 'https://prod.westeurope.logic.azure.com/workflows/x/invoke?sig=SECRET-SIG',
            PUSH_BLOCK_GROUP_ID: '2c3d4e5f-6071-4283-94a5-b6c7d8e9f0a1',
            DENIAL_THRESHOLD: '9',
        });
        expect(r.code).toBe(0);
        expect(r.stderr).toMatch(/WARNING: this provision weakens the deployed responder/);
        expect(r.stderr).toMatch(/CONTAINMENT_MODE: "live" -> "dry-run": a live responder would only watch/);
        expect(r.stderr).toMatch(/NEVER_CONTAIN: "breakglass@contoso\.com" -> "": break-glass accounts/);
        expect(r.stdout).toMatch(/DENIAL_THRESHOLD changes: "8" -> "9"/);
        expect(`${r.stdout}${r.stderr}`).not.toContain('SECRET-SIG');
    });

    it('resets on purpose with ALLOW_SETTINGS_RESET=true, still saying what it resets', async () => {
        const r = await check(LIVE, { ALLOW_SETTINGS_RESET: 'true' });
        expect(r.code).toBe(0);
        expect(r.stderr).toMatch(/WARNING: provisioning func-mfa-abc .* would reset 5 setting/);
        expect(r.stderr).toMatch(/ALLOW_SETTINGS_RESET=true: resetting them anyway/);
    });

    it('stops when it cannot read the deployed settings, rather than guess', async () => {
        const r = await runHook('node', [DRIFT], azdEnv({ ARM_ENDPOINT: 'http://127.0.0.1:9' }));
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/cannot compare with the deployed settings/);
    });
});
