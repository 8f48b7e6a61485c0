import { formatTable } from '../../cli/commands/doctorTable';
import { Finding, overallStatus } from '../../shared/health/check';
import { describeFailure } from '../../shared/health/context';
import { armEndpointFor, evaluateDiagnosticSettings } from '../../shared/health/diagnosticSettingCheck';
import type { HealthContext } from '../../shared/health/context';
import {
    evaluatePermissions,
    PermissionsReading,
    readPermissions,
} from '../../shared/health/directory/graphPermissionsCheck';
import { evaluateLag, evaluateSignInsArriving } from '../../shared/health/hubChecks';
import { evaluateIncidents } from '../../shared/health/incidentsCheck';
import { evaluatePushBlock, PushBlockReading } from '../../shared/health/directory/pushBlockCheck';
import { evaluateSettings } from '../../shared/health/settingsCheck';
import { requiredGraphRoles, RoleNeeds } from '../../shared/graph/permissions';
import { GraphCallError } from '../../shared/graph/callGraph';
import { createRuntime } from '../../shared/runtime';

const NOW = Date.parse('2026-11-27T12:00:00Z');
const GROUP = '9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d';
const byCheck = (findings: Finding[], check: string) => findings.find((f) => f.check === check);

const needs = (o: Partial<RoleNeeds> = {}): RoleNeeds => ({
    mode: 'live',
    pushBlockMode: 'group',
    removeNewMethods: true,
    resetPassword: false,
    confirmCompromised: false,
    disableAccount: false,
    ...o,
});

describe('evaluatePermissions', () => {
    const granted = (roles: string[]): PermissionsReading['assigned'] =>
        roles.map((role, i) => ({ role, assignmentId: `a${i}` }));
    const all = [...requiredGraphRoles(needs()).keys()];
    const reading = (o: Partial<PermissionsReading>): PermissionsReading => ({
        needs: needs(),
        graphBaseUrl: 'https://graph.microsoft.com',
        principal: { id: '11111111-2222-4333-8444-555555555555', displayName: 'id-mfa' },
        ...o,
    });

    it('is ok when exactly what is needed is granted (and in the token, when the token is known)', () => {
        expect(evaluatePermissions(reading({ assigned: granted(all) }), undefined)).toEqual([
            expect.objectContaining({ status: 'ok', detail: 'id-mfa holds the 5 app role(s) these settings need' }),
        ]);
        expect(evaluatePermissions(reading({ assigned: granted(all), effective: all }), undefined)[0]!.status).toBe(
            'ok',
        );
    });

    it('fails on a missing role with the exact grant command, flags included', () => {
        const [f] = evaluatePermissions(
            reading({ needs: needs({ resetPassword: true, pushBlockMode: 'remove-method' }), assigned: granted(all) }),
            undefined,
        );
        expect(f).toMatchObject({ status: 'failed', data: { missing: ['User-PasswordProfile.ReadWrite.All'] } });
        expect(f!.fix).toContain(
            'grant-graph-permissions.sh 11111111-2222-4333-8444-555555555555 --mode live --remove-method --reset-password',
        );
    });

    it('warns on a role granted but not yet in the token, and on one granted but not needed', () => {
        const findings = evaluatePermissions(
            reading({ assigned: granted([...all, 'Mail.Read']), effective: all.slice(1) }),
            undefined,
        );
        expect(byCheck(findings, 'graph-permissions')).toMatchObject({
            status: 'warning',
            detail: expect.stringMatching(/not yet in the identity's token: User\.Read\.All/),
        });
        expect(byCheck(findings, 'graph-permissions.extra')).toMatchObject({
            status: 'warning',
            fix: expect.stringContaining(
                'https://graph.microsoft.com/v1.0/servicePrincipals/11111111-2222-4333-8444-555555555555/appRoleAssignments/a5',
            ),
        });
    });

    it('in dry-run needs no role, and names every granted one as extra with the command that removes it', () => {
        const findings = evaluatePermissions(
            reading({ needs: needs({ mode: 'dry-run' }), assigned: granted(all) }),
            undefined,
        );
        expect(byCheck(findings, 'graph-permissions')).toMatchObject({
            status: 'ok',
            detail: 'CONTAINMENT_MODE=dry-run makes no Graph call: it needs no app role',
        });
        const extra = byCheck(findings, 'graph-permissions.extra')!;
        expect(extra).toMatchObject({ status: 'warning', data: { extra: all } });
        expect(extra.detail).toContain('CONTAINMENT_MODE=dry-run');
        for (let i = 0; i < all.length; i++)
            expect(extra.fix).toContain(
                `az rest --method DELETE --uri https://graph.microsoft.com/v1.0/servicePrincipals/11111111-2222-4333-8444-555555555555/appRoleAssignments/a${i}`,
            );
        expect(extra.fix).toMatch(/Release every user a live run contained/);
    });

    it('judges by the token alone as the app, and says what it cannot read or tell', () => {
        const asApp = evaluatePermissions(reading({ principal: undefined, effective: ['User.Read.All'] }), undefined);
        expect(asApp[0]).toMatchObject({ status: 'failed', detail: expect.stringMatching(/token lacks 4 app role/) });
        const refused = evaluatePermissions(
            reading({ assignedFailure: { kind: 'refused', status: 403, message: 'Insufficient privileges' } }),
            'c1',
        );
        expect(refused[0]).toMatchObject({ status: 'warning', fix: expect.stringMatching(/Global Reader/) });
        const nobody = evaluatePermissions(reading({ principal: undefined }), undefined);
        expect(nobody[0]).toMatchObject({ status: 'warning', fix: expect.stringMatching(/--app-client-id/) });
    });

    it('checks the directory role a password reset needs', () => {
        const n = needs({ resetPassword: true });
        const roles = [...requiredGraphRoles(n).keys()];
        const without = evaluatePermissions(
            reading({ needs: n, assigned: granted(roles), directoryRoles: [] }),
            undefined,
        );
        expect(byCheck(without, 'graph-permissions.directory-role')).toMatchObject({ status: 'failed' });
        const withRole = evaluatePermissions(
            reading({ needs: n, assigned: granted(roles), directoryRoles: ['User Administrator'] }),
            undefined,
        );
        expect(byCheck(withRole, 'graph-permissions.directory-role')).toMatchObject({ status: 'ok' });
    });

    it.each([
        ['/', 'ok'],
        ['/administrativeUnits/44444444-5555-4666-8777-888888888888', 'failed'],
    ])(
        'counts a password-reset role assigned on scope %s as %s (an administrative unit covers its members only)',
        async (scope, status) => {
            const reads = {
                servicePrincipalOf: async () => ({
                    id: '22222222-3333-4444-8555-666666666666',
                    displayName: 'responder',
                }),
                graphServicePrincipal: async () => ({ id: '33333333-4444-4555-8666-777777777777', appRoles: [] }),
                appRoleAssignments: async () => [],
                // User Administrator's template id.
                directoryRoleAssignments: async () => [
                    { roleDefinitionId: 'fe930be7-5e62-47db-91af-98c3a49a38b1', directoryScopeId: scope },
                ],
            };
            const ctx = {
                asApp: false,
                appClientId: '11111111-2222-4333-8444-555555555555',
                timeoutMs: 1000,
                runtime: {
                    containment: needs({ resetPassword: true }),
                    // BLOCK_CAMPAIGN_SOURCES off: no Conditional Access roles needed.
                    campaign: { block: undefined },
                    graphConfig: { baseUrl: 'https://graph.microsoft.com' },
                    graphReads: () => reads,
                },
            } as unknown as HealthContext;
            const finding = byCheck(
                evaluatePermissions(await readPermissions(ctx), ctx.appClientId),
                'graph-permissions.directory-role',
            );
            expect(finding).toMatchObject({ status });
            if (status === 'failed') expect(finding?.detail).toContain(`User Administrator on ${scope} only`);
        },
    );
});

describe('evaluatePushBlock', () => {
    const healthy = (o: Partial<PushBlockReading> = {}): PushBlockReading => ({
        config: { pushBlockMode: 'group', pushBlockGroupId: GROUP, resetPassword: false },
        migration: { value: 'migrationComplete' },
        authenticator: { value: { state: 'enabled', excludeTargets: [{ id: GROUP, targetType: 'group' }] } },
        group: {
            value: { id: GROUP, displayName: 'SG', securityEnabled: true, isAssignableToRole: false, groupTypes: [] },
        },
        reportSuspicious: { value: 'enabled' },
        ...o,
    });
    const status = (r: PushBlockReading) => Object.fromEntries(evaluatePushBlock(r).map((f) => [f.check, f.status]));

    it('is ok when the group is excluded, migration complete, the group manageable and reports on', () => {
        expect(status(healthy())).toEqual({
            'push-block.migration': 'ok',
            'push-block.authenticator': 'ok',
            'push-block.group': 'ok',
            'push-block.report-suspicious': 'ok',
        });
    });

    it('reads the migration state case-insensitively (the docs write it both ways)', () => {
        expect(status(healthy({ migration: { value: 'MigrationComplete' } }))['push-block.migration']).toBe('ok');
        expect(status(healthy({ migration: { value: 'preMigration' } }))['push-block.migration']).toBe('failed');
    });

    it('fails without PUSH_BLOCK_GROUP_ID in group mode, and for a dynamic group', () => {
        const noGroup = healthy({ config: { pushBlockMode: 'group', resetPassword: false } });
        delete (noGroup as { group?: unknown }).group;
        expect(status(noGroup)['push-block.authenticator']).toBe('failed');
        expect(
            status(
                healthy({
                    group: {
                        value: {
                            id: GROUP,
                            securityEnabled: true,
                            isAssignableToRole: false,
                            groupTypes: ['DynamicMembership'],
                        },
                    },
                }),
            )['push-block.group'],
        ).toBe('failed');
        expect(
            status(healthy({ group: { failure: { kind: 'other', status: 404, message: 'not found' } } }))[
                'push-block.group'
            ],
        ).toBe('failed');
    });

    it('warns when Authenticator is off (nothing to block) and when a part cannot be read, naming the role', () => {
        expect(
            status(healthy({ authenticator: { value: { state: 'disabled', excludeTargets: [] } } }))[
                'push-block.authenticator'
            ],
        ).toBe('warning');
        const f = evaluatePushBlock(
            healthy({ migration: { failure: { kind: 'refused', status: 403, message: 'denied' } } }),
        )[0]!;
        expect(f).toMatchObject({
            status: 'warning',
            fix: expect.stringMatching(/Authentication Policy Administrator/),
        });
    });

    it('in remove-method mode, asks whether registering security info is protected, and says what Graph cannot show', () => {
        const base = {
            config: { pushBlockMode: 'remove-method' as const, resetPassword: false },
            migration: { value: 'preMigration' },
            reportSuspicious: { value: 'enabled' },
        };
        const policy = (state: string) => ({
            id: 'p1',
            displayName: 'Register from trusted places',
            state,
            conditions: { applications: { includeUserActions: ['urn:user:registersecurityinfo'] } },
        });
        const on = evaluatePushBlock({ ...base, conditionalAccess: { value: [policy('enabled')] } });
        expect(byCheck(on, 'push-block.migration')!.status).toBe('ok');
        expect(byCheck(on, 'push-block.register-security-info')).toMatchObject({
            status: 'ok',
            detail: expect.stringMatching(/cannot show whether its conditions/),
        });
        const reportOnly = evaluatePushBlock({
            ...base,
            conditionalAccess: { value: [policy('enabledForReportingButNotEnforced')] },
        });
        expect(byCheck(reportOnly, 'push-block.register-security-info')).toMatchObject({
            status: 'warning',
            detail: expect.stringMatching(/only report-only policies/),
        });
        const none = evaluatePushBlock({ ...base, conditionalAccess: { value: [] } });
        expect(byCheck(none, 'push-block.register-security-info')!.detail).toMatch(/RESET_PASSWORD=false/);
    });
});

describe('evaluateDiagnosticSettings', () => {
    const setting = (o: { hub?: string | null; categories?: string[]; ns?: string } = {}) => ({
        name: 'to-responder',
        properties: {
            eventHubAuthorizationRuleId: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.EventHub/namespaces/${o.ns ?? 'evhns-mfa'}/authorizationrules/send`,
            eventHubName: o.hub === undefined ? 'entra-signins' : o.hub,
            logs: (o.categories ?? ['SignInLogs', 'AuditLogs']).map((category) => ({ category, enabled: true })),
        },
    });
    const evaluate = (settings: ReturnType<typeof setting>[], auditWanted = true) =>
        evaluateDiagnosticSettings({ namespace: 'EVHNS-MFA', eventHubName: 'entra-signins', auditWanted, settings });

    it('is ok when a setting streams SignInLogs to this namespace and hub (names compared case-insensitively)', () => {
        expect(evaluate([setting()])).toEqual([expect.objectContaining({ status: 'ok' })]);
    });

    it('fails for another hub, no hub named, or without SignInLogs; warns without AuditLogs when audits are read', () => {
        expect(evaluate([setting({ hub: 'other' })])[0]).toMatchObject({
            status: 'failed',
            detail: expect.stringMatching(/not to the hub entra-signins/),
        });
        expect(evaluate([setting({ hub: null })])[0]!.detail).toMatch(/insights-logs-<category> hubs/);
        expect(evaluate([setting({ categories: ['AuditLogs'] })])[0]!.detail).toMatch(/without SignInLogs/);
        expect(evaluate([setting({ categories: ['SignInLogs'] })]).map((f) => f.status)).toEqual(['ok', 'warning']);
        expect(evaluate([setting({ categories: ['SignInLogs'] })], false).map((f) => f.status)).toEqual(['ok']);
        expect(evaluate([setting({ ns: 'evhns-mfa2' })])[0]!.status).toBe('failed');
    });

    it('treats ARM’s 403 as "cannot verify", never a failure', () => {
        const f = evaluateDiagnosticSettings({
            namespace: 'evhns-mfa',
            eventHubName: 'entra-signins',
            auditWanted: true,
            failure: { kind: 'refused', status: 403, code: 'AuthorizationFailed', message: 'no' },
        });
        expect(f).toEqual([
            expect.objectContaining({ status: 'warning', detail: expect.stringMatching(/^cannot verify/) }),
        ]);
    });

    it('knows Resource Manager of each national cloud by its Graph endpoint', () => {
        expect(armEndpointFor('https://graph.microsoft.com')).toBe('https://management.azure.com');
        expect(armEndpointFor('https://graph.microsoft.us')).toBe('https://management.usgovcloudapi.net');
        expect(armEndpointFor('https://microsoftgraph.chinacloudapi.cn')).toBe('https://management.chinacloudapi.cn');
        expect(armEndpointFor('https://localhost:1234')).toBeUndefined();
    });
});

describe('hub checks', () => {
    const p = (id: string, at: number, o: Partial<{ isEmpty: boolean; last: number }> = {}) => ({
        partitionId: id,
        beginningSequenceNumber: 0,
        lastEnqueuedSequenceNumber: o.last ?? 9,
        lastEnqueuedAt: at,
        isEmpty: o.isEmpty ?? false,
    });

    it('sign-ins arriving: recent is ok, an hour of silence or an empty hub fails', () => {
        expect(
            evaluateSignInsArriving([p('0', NOW - 30_000), p('1', 0, { isEmpty: true, last: -1 })], NOW)[0],
        ).toMatchObject({
            status: 'ok',
            detail: 'last event 30 s ago (1 of 2 partition(s) hold events)',
        });
        expect(evaluateSignInsArriving([p('0', NOW - 61 * 60_000)], NOW)[0]!.status).toBe('failed');
        expect(evaluateSignInsArriving([p('0', 0, { isEmpty: true, last: -1 })], NOW)[0]!.detail).toMatch(
            /holds no event/,
        );
    });

    it('lag: in flight within the limit is ok; unreadable checkpoints are a warning naming the role', () => {
        const base = { warningMs: 10 * 60_000, now: NOW, checkpointsRead: true, checkpointPath: 'ns/hub/cg/' };
        const inFlight = evaluateLag({
            ...base,
            lag: [{ partitionId: '0', state: 'behind', events: 3, lagMs: 2_000, lastSequenceNumber: 9, checkpoint: 6 }],
        });
        expect(inFlight).toEqual([
            expect.objectContaining({ status: 'ok', detail: expect.stringMatching(/3 event\(s\) in flight/) }),
        ]);
        const refused = evaluateLag({
            ...base,
            lag: [],
            checkpointsRead: false,
            checkpointFailure: { kind: 'refused', status: 403, message: 'AuthorizationPermissionMismatch' },
        });
        expect(refused[0]).toMatchObject({ status: 'warning', fix: expect.stringMatching(/Storage Blob Data Reader/) });
    });
});

describe('evaluateIncidents', () => {
    const r = (inLastHour: number, needsAttention = 0) =>
        evaluateIncidents({
            needsAttention: Array.from({ length: needsAttention }, (_, i) => ({
                incidentId: `i${i}`,
                userId: `u${i}`,
                userPrincipalName: null,
                containmentReason: 'revoke-sessions: 403',
            })),
            openIncidents: needsAttention,
            unreadableRows: 0,
            breakerInLastHour: inLastHour,
            breakerCap: 10,
        });

    it('fails while a person must act, and names at most five', () => {
        const f = r(0, 7)[0]!;
        expect(f.status).toBe('failed');
        expect(f.detail).toMatch(/7 incident\(s\) need a person: u0: .*u4: revoke-sessions: 403; and 2 more$/);
    });

    it('reads the breaker: closed, nearly open at 80 %, open at the cap', () => {
        expect(r(3).find((f) => f.check === 'circuit-breaker')!.status).toBe('ok');
        expect(r(8).find((f) => f.check === 'circuit-breaker')!.status).toBe('warning');
        expect(r(10).find((f) => f.check === 'circuit-breaker')!.status).toBe('failed');
    });
});

describe('start-up validation of the new settings', () => {
    const base = { STATE_TABLE_CONNECTION_STRING: 'UseDevelopmentStorage=true' };
    it('stops on a bad LAG_WARNING_MINUTES, or a connection string that is not an emulator’s (never repeating it)', () => {
        expect(() => createRuntime({ env: { ...base, LAG_WARNING_MINUTES: '0' } }).validate()).toThrow(
            /LAG_WARNING_MINUTES.*1 to 1440/,
        );
        const secret = 'Endpoint=sb://prod.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=s3cr3t';
        expect(() => createRuntime({ env: { ...base, EVENTHUB_CONNECTION_STRING: secret } }).validate()).toThrow(
            /^Setting EVENTHUB_CONNECTION_STRING has a value, but accepts an emulator connection string/,
        );
        const thrown = (() => {
            try {
                createRuntime({ env: { ...base, EVENTHUB_CONNECTION_STRING: secret } }).validate();
            } catch (e) {
                return e;
            }
            return undefined;
        })();
        expect(thrown).toBeInstanceOf(Error);
        expect((thrown as Error).message).not.toContain('s3cr3t');
        expect(() => createRuntime({ env: base }).validate()).not.toThrow();
    });
});

describe('evaluateSettings', () => {
    it('fails naming the bad setting, and says dry-run out loud', () => {
        expect(
            evaluateSettings({ error: { setting: 'DENIAL_THRESHOLD', message: 'bad' }, warnings: [] })[0],
        ).toMatchObject({
            status: 'failed',
            fix: expect.stringMatching(/^Fix DENIAL_THRESHOLD/),
        });
        expect(evaluateSettings({ warnings: [], mode: 'dry-run' })[0]!.detail).toMatch(/nobody is contained/);
        const warned = evaluateSettings({
            warnings: ['X with Y: something weak. Set Z=true, or protect it.'],
            mode: 'live',
        });
        expect(warned[1]).toMatchObject({
            status: 'warning',
            detail: 'X with Y: something weak.',
            fix: 'Set Z=true, or protect it.',
        });
    });
});

describe('describeFailure', () => {
    it('tells refusals, missing sign-ins and timeouts apart across Graph, Storage and Event Hubs errors', () => {
        expect(
            describeFailure(
                new GraphCallError('Insufficient privileges', {
                    status: 403,
                    graphCode: 'Authorization_RequestDenied',
                }),
            ).kind,
        ).toBe('refused');
        expect(
            describeFailure(Object.assign(new Error('x'), { statusCode: 403, code: 'AuthorizationPermissionMismatch' }))
                .kind,
        ).toBe('refused');
        expect(describeFailure(Object.assign(new Error('x'), { code: 'UnauthorizedError' })).kind).toBe('refused');
        expect(
            describeFailure(Object.assign(new Error('no az login'), { name: 'CredentialUnavailableError' })).kind,
        ).toBe('signed-out');
        expect(describeFailure(Object.assign(new Error('late'), { code: 'Timeout' })).kind).toBe('timeout');
        expect(describeFailure(new Error('ECONNREFUSED')).kind).toBe('other');
    });
});

describe('formatTable', () => {
    it('wraps text to the terminal, keeps long words whole, and ends with the counts', () => {
        const findings: Finding[] = [
            { check: 'a', title: 'Settings', status: 'ok', detail: 'valid' },
            {
                check: 'b',
                title: 'Graph permissions',
                status: 'failed',
                detail: 'lacks one role and this sentence is long enough to wrap at a narrow width',
                fix: 'run https://example.com/a/very/long/url/that/must/not/be/cut/apart/for/copying',
            },
        ];
        const table = formatTable(findings, 80);
        expect(table).toContain('https://example.com/a/very/long/url/that/must/not/be/cut/apart/for/copying');
        expect(table.split('\n').filter((l) => l.startsWith('Graph permissions'))[0]).toMatch(
            / FAILED {4}lacks one role/,
        );
        expect(table).toMatch(/1 ok, 0 warning\(s\), 1 failed\n$/);
        expect(overallStatus(findings)).toBe('failed');
    });
});
