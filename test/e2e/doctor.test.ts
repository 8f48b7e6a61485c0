import type { TokenCredential } from '@azure/identity';
import { randomUUID } from 'node:crypto';

import { createSignInEventsHandler } from '../../functions/signInEvents';
import { checkpointPrefix } from '../../shared/eventhub/lag';
import { createRuntime } from '../../shared/runtime';
import { EventHubsEmulator, startEventHubsEmulator } from '../support/eventHubsEmulator';
import { FakeArm, startFakeArm } from '../support/fakeArm';
import { runCli } from '../support/cliRun';
import { FakeGraph, FakeIdentity, operatorCredential } from '../support/fakeGraph';
import { grantedRoles, grantedRolesFor } from '../support/grantedRoles';
import { startLocalGraph, stopLocalGraph } from '../support/localGraph';
import { startLocalHost, writeCheckpoint } from '../support/functionsHost';
import { envelope, pushDenied, signIn, user } from '../support/signInFactory';

/**
 * `mfa-responder doctor` against a whole local tenant: the Event Hubs stand-in (partition properties), Azurite
 * (state table, the host's checkpoint blobs), the local Graph (app roles, the methods policy, the group), the local
 * ARM (diagnostic settings). A healthy tenant gives a table of ok rows and exit 0; each broken part gives its row,
 * with what is wrong and how to fix it.
 */
const GROUP = '9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d';
const NAMESPACE = 'evhns-mfa-test';
const PRINCIPAL = randomUUID();
/** The break-glass account every tenant lists in NEVER_CONTAIN, as a user of the directory. */
const BREAK_GLASS = { id: randomUUID(), upn: 'breakglass@contoso.com' };
let identity: FakeIdentity;
let graph: FakeGraph;
let arm: FakeArm;
const hubs: EventHubsEmulator[] = [];
let n = 0;

beforeAll(async () => {
    ({ identity, graph } = await startLocalGraph({ group: GROUP }));
    arm = await startFakeArm(graph.tls, identity);
    graph.servicePrincipals.set(identity.clientId, { id: PRINCIPAL, displayName: 'id-mfa-test' });
});
afterAll(async () => {
    for (const h of hubs) await h.close();
    await arm.close();
    await stopLocalGraph({ identity, graph });
});

interface Tenant {
    readonly env: Record<string, string | undefined>;
    readonly hub: EventHubsEmulator;
    readonly prefix: string;
}

/** Everything as a SOC wants it before going live; each test then breaks one part. */
function healthyDirectory(env: Record<string, string | undefined>): void {
    const needs = createRuntime({ env }).containment;
    graph.appRoleAssignments.set(
        PRINCIPAL,
        // Assigned: what the grant script gives these settings.
        grantedRoles(needs).roles.map((role) => ({ id: randomUUID(), role })),
    );
    graph.directoryRoles.clear();
    graph.policyMigrationState = 'migrationComplete';
    graph.reportSuspiciousActivity = 'enabled';
    graph.policy.state = 'enabled';
    graph.policy.excludeTargets = [{ id: GROUP, targetType: 'group' }];
    graph.addGroup(GROUP, 'SG-MFA-Push-Blocked');
    graph.addUser(BREAK_GLASS.id, { userPrincipalName: BREAK_GLASS.upn });
    graph.faults.length = 0;
    arm.refuseUsers = false;
    arm.settings.length = 0;
    arm.settings.push({
        name: 'mfa-fatigue-responder',
        namespace: NAMESPACE,
        eventHubName: String(env.EVENTHUB_NAME),
        categories: ['SignInLogs', 'NonInteractiveUserSignInLogs', 'AuditLogs'],
    });
}

/** A deployment with its own hub (its own checkpoints) and table; sign-ins flowing and read up to the last one. */
async function tenant(options: { extra?: Record<string, string>; read?: boolean } = {}): Promise<Tenant> {
    const name = `signins-${n++}`;
    const hub = await startEventHubsEmulator({
        eventHubName: name,
        partitionCount: 2,
        consumerGroups: ['mfa-responder'],
    });
    hubs.push(hub);
    const env: Record<string, string | undefined> = {
        STATE_TABLE_CONNECTION_STRING: process.env.AZURITE_TABLE_CONNECTION_STRING,
        STATE_TABLE_NAME: `doctor${process.pid}x${Date.now().toString(36)}x${n}`,
        AzureWebJobsStorage: process.env.AZURITE_STORAGE_CONNECTION_STRING,
        EVENTHUB_CONNECTION_STRING: hub.connectionString,
        EventHubConnection__fullyQualifiedNamespace: `${NAMESPACE}.servicebus.windows.net`,
        EVENTHUB_NAME: name,
        EVENTHUB_CONSUMER_GROUP: 'mfa-responder',
        GRAPH_BASE_URL: graph.baseUrl,
        CONTAINMENT_MODE: 'live',
        PUSH_BLOCK_GROUP_ID: GROUP,
        NEVER_CONTAIN: 'breakglass@contoso.com',
        ...options.extra,
    };
    healthyDirectory(env);
    const app = createRuntime({ env: { ...env, AZURE_CLIENT_ID: identity.clientId } });
    await app.ready();
    const prefix = checkpointPrefix('127.0.0.1', name, 'mfa-responder');
    if (options.read !== false) {
        for (const p of [0, 1]) hub.publish(p, envelope([signIn({ user: user(`Someone ${p}`), at: new Date() })]));
        const host = await startLocalHost({
            connectionString: hub.connectionString,
            eventHubName: name,
            consumerGroup: 'mfa-responder',
            fullyQualifiedNamespace: '127.0.0.1',
            storageConnectionString: process.env.AZURITE_STORAGE_CONNECTION_STRING!,
            handler: createSignInEventsHandler(() => app),
        });
        while (host.batches < 2) await new Promise((r) => setTimeout(r, 50));
        await host.close();
    }
    return { env, hub, prefix };
}

interface Row {
    readonly title: string;
    readonly status: string;
    readonly text: string;
}

/** Reads the doctor's table back into rows: title, status, and the wrapped text (what is wrong, then "fix: …"). */
function rows(table: string): Row[] {
    const out: Array<{ title: string; status: string; text: string[] }> = [];
    for (const line of table.split('\n').slice(1)) {
        const start = /^(\S.*?)\s{2,}(ok|warning|FAILED)\s{2}(.*)$/.exec(line);
        if (start) out.push({ title: start[1]!.trim(), status: start[2]!, text: [start[3]!] });
        else if (out.length > 0 && /^\s{20,}\S/.test(line)) out[out.length - 1]!.text.push(line.trim());
    }
    return out.map((r) => ({ ...r, text: r.text.join(' ') }));
}

async function doctor(
    env: Record<string, string | undefined>,
    args: string[] = [],
    credential?: TokenCredential,
    health: { now?: () => number } = {},
) {
    const r = await runCli(['doctor', '--arm-endpoint', arm.endpoint, '--app-client-id', identity.clientId, ...args], {
        env,
        credential: credential ?? operatorCredential(identity),
        health,
    });
    return { code: r.code, out: r.stdout, err: r.stderr, rows: rows(r.stdout) };
}

const row = (r: { rows: Row[] }, title: string) => {
    const found = r.rows.find((x) => x.title === title);
    if (!found) throw new Error(`no row "${title}" in:\n${r.rows.map((x) => x.title).join('\n')}`);
    return found;
};

describe('mfa-responder doctor', () => {
    it('passes a healthy tenant: every row ok, exit 0', async () => {
        const t = await tenant();
        const r = await doctor(t.env);
        expect(r.err).toBe('');
        expect(r.rows.map((x) => [x.title, x.status])).toEqual([
            ['Settings', 'ok'],
            ['State table', 'ok'],
            ['Graph permissions', 'ok'],
            ['Break-glass accounts', 'ok'],
            ['Authentication methods migration', 'ok'],
            ['Authenticator excludes the group', 'ok'],
            ['Push-block group', 'ok'],
            ['Report suspicious activity', 'ok'],
            ['Entra diagnostic setting', 'ok'],
            ['Sign-ins arriving', 'ok'],
            ['Responder keeps up', 'ok'],
            ['Incidents needing attention', 'ok'],
            ['Circuit breaker', 'ok'],
            ['Notices and Sentinel rows', 'ok'],
        ]);
        expect(r.code).toBe(0);
        expect(r.out).toMatch(/^CHECK\s+STATUS\s+WHAT IS WRONG \/ HOW TO FIX$/m);
        expect(row(r, 'Graph permissions').text).toMatch(/id-mfa-test holds the 5 app role\(s\) these settings need/);
        expect(row(r, 'Entra diagnostic setting').text).toMatch(
            new RegExp(`"mfa-fatigue-responder" streams SignInLogs to ${NAMESPACE}/signins-\\d+`),
        );
        expect(row(r, 'Responder keeps up').text).toMatch(/caught up on 2 of 2 partition\(s\)/);
        expect(r.out).toMatch(/^14 ok, 0 warning\(s\), 0 failed$/m);

        const json = await doctor(t.env, ['--json']);
        const lines = json.out
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l) as { check: string; status: string });
        expect(lines.map((l) => l.check)).toContain('lag');
        expect(lines.every((l) => l.status === 'ok')).toBe(true);
    });

    it('fails on a NEVER_CONTAIN entry that is no user (a group id, an unknown UPN), names it; warns on a disabled one', async () => {
        const breakGlassGroup = randomUUID();
        const disabled = { id: randomUUID(), upn: 'bg-disabled@contoso.com' };
        const t = await tenant({
            extra: {
                NEVER_CONTAIN: [BREAK_GLASS.upn, breakGlassGroup, 'gone@contoso.com', BREAK_GLASS.id, disabled.id].join(
                    ',',
                ),
            },
        });
        graph.addGroup(breakGlassGroup, 'Break-glass');
        graph.addUser(disabled.id, { userPrincipalName: disabled.upn, accountEnabled: false });
        const calls = graph.calls.length;
        const r = await doctor(t.env);
        expect(r.code).toBe(1);
        const found = r.rows.filter((x) => x.title === 'Break-glass accounts');
        expect(found.map((x) => x.status)).toEqual(['FAILED', 'FAILED', 'warning']);
        expect(found[0]!.text).toMatch(
            new RegExp(
                `NEVER_CONTAIN lists ${breakGlassGroup}, which is not a user: a group's id belongs in NEVER_CONTAIN_GROUP_IDS`,
            ),
        );
        expect(found[0]!.text).toMatch(/fix: Move the id from NEVER_CONTAIN to NEVER_CONTAIN_GROUP_IDS/);
        expect(found[1]!.text).toMatch(/NEVER_CONTAIN lists gone@contoso\.com: no such user/);
        expect(found[2]!.text).toMatch(new RegExp(`NEVER_CONTAIN ${disabled.id} is a disabled account`));
        // Each entry resolved once, by id or by UPN; the group asked for only after the user lookup found nothing.
        const breakGlassCalls = graph.calls
            .slice(calls)
            .filter((c) =>
                /^\/v1\.0\/(users|groups)\/[^/?]+\?\$select=id,(userPrincipalName,accountEnabled|displayName)/.test(
                    c.path,
                ),
            )
            .map((c) => [c.path.replace(/\?.*$/, ''), c.status]);
        expect(breakGlassCalls).toEqual(
            expect.arrayContaining([
                [`/v1.0/users/${BREAK_GLASS.upn}`, 200],
                [`/v1.0/users/${breakGlassGroup}`, 404],
                [`/v1.0/groups/${breakGlassGroup}`, 200],
                ['/v1.0/users/gone@contoso.com', 404],
                [`/v1.0/users/${BREAK_GLASS.id}`, 200],
                [`/v1.0/users/${disabled.id}`, 200],
            ]),
        );
        expect(breakGlassCalls.filter(([p]) => p !== `/v1.0/groups/${GROUP}`)).toHaveLength(6);
    });

    it('fails on a missing Graph permission, names it and the command that grants it; warns on one too many', async () => {
        const t = await tenant();
        graph.appRoleAssignments.set(PRINCIPAL, [
            ...graph.appRoleAssignments.get(PRINCIPAL)!.filter((a) => a.role !== 'User.RevokeSessions.All'),
            { id: 'extra-assignment-id', role: 'Directory.ReadWrite.All' },
        ]);
        graph.pageSize = 2; // the assignments come back over several pages
        try {
            const r = await doctor(t.env);
            expect(r.code).toBe(1);
            const perms = row(r, 'Graph permissions');
            expect(perms.status).toBe('FAILED');
            expect(perms.text).toMatch(/lacks 1 app role\(s\) these settings need: User\.RevokeSessions\.All \(revoke/);
            expect(perms.text).toMatch(
                new RegExp(
                    `fix: As Privileged Role Administrator: infra/scripts/grant-graph-permissions\\.sh ${PRINCIPAL}`,
                ),
            );
            const extra = row(r, 'Graph permissions beyond need');
            expect(extra.status).toBe('warning');
            expect(extra.text).toMatch(/Directory\.ReadWrite\.All/);
            expect(extra.text).toMatch(/az rest --method DELETE .*appRoleAssignments\/extra-assignment-id/);
        } finally {
            graph.pageSize = 100;
        }
    });

    it('in dry-run names every role a live grant left as extra, each with the command that removes it', async () => {
        const t = await tenant({ extra: { CONTAINMENT_MODE: 'dry-run' } });
        const live = grantedRolesFor(['--mode', 'live']).roles;
        graph.appRoleAssignments.set(
            PRINCIPAL,
            live.map((role, i) => ({ id: `live-assignment-${i}`, role })),
        );
        const r = await doctor(t.env);
        expect(row(r, 'Graph permissions')).toMatchObject({ status: 'ok' });
        expect(row(r, 'Graph permissions').text).toMatch(/CONTAINMENT_MODE=dry-run makes no Graph call/);
        const extra = row(r, 'Graph permissions beyond need');
        expect(extra.status).toBe('warning');
        for (const role of live) expect(extra.text).toContain(role);
        for (let i = 0; i < live.length; i++)
            expect(extra.text).toMatch(
                new RegExp(
                    `az rest --method DELETE --uri \\S+/servicePrincipals/${PRINCIPAL}/appRoleAssignments/live-assignment-${i}`,
                ),
            );
        expect(r.code).toBe(0);
    });

    it('fails while the methods policy migration is not complete: the group exclusion may not block push', async () => {
        const t = await tenant();
        graph.policyMigrationState = 'migrationInProgress';
        const r = await doctor(t.env);
        expect(r.code).toBe(1);
        const m = row(r, 'Authentication methods migration');
        expect(m.status).toBe('FAILED');
        expect(m.text).toMatch(/policyMigrationState is migrationInProgress: the legacy MFA and SSPR policies/);
        expect(m.text).toMatch(/fix: .*Migration Complete/);
    });

    it('fails when the Authenticator policy does not exclude the group, or the group cannot take members', async () => {
        const t = await tenant();
        graph.policy.excludeTargets = [{ id: randomUUID(), targetType: 'group' }];
        graph.addGroup(GROUP, 'SG-MFA-Push-Blocked', { isAssignableToRole: true });
        graph.reportSuspiciousActivity = 'default';
        const r = await doctor(t.env);
        expect(r.code).toBe(1);
        const ex = row(r, 'Authenticator excludes the group');
        expect(ex.status).toBe('FAILED');
        expect(ex.text).toMatch(
            new RegExp(`does not exclude PUSH_BLOCK_GROUP_ID ${GROUP}.*fix: mfa-responder setup --group-id ${GROUP}`),
        );
        const g = row(r, 'Push-block group');
        expect(g.status).toBe('FAILED');
        expect(g.text).toMatch(/role-assignable: adding members needs RoleManagement\.ReadWrite\.Directory/);
        expect(row(r, 'Report suspicious activity')).toMatchObject({ status: 'warning' });
    });

    it('fails without a diagnostic setting for this hub; cannot verify (a warning) when ARM refuses the sign-in', async () => {
        const t = await tenant();
        arm.settings.length = 0;
        arm.settings.push({
            name: 'to-sentinel',
            namespace: 'other-ns',
            eventHubName: 'x',
            categories: ['SignInLogs'],
        });
        const missing = await doctor(t.env);
        expect(missing.code).toBe(1);
        expect(row(missing, 'Entra diagnostic setting')).toMatchObject({ status: 'FAILED' });
        expect(row(missing, 'Entra diagnostic setting').text).toMatch(
            /no Entra diagnostic setting streams to the namespace evhns-mfa-test .*fix: .*infra\/scripts\/set-entra-diagnostic-setting\.sh --rule-id <DIAGNOSTIC_SEND_RULE_ID> --hub /,
        );
        arm.refuseUsers = true;
        const refused = await doctor(t.env);
        expect(row(refused, 'Entra diagnostic setting')).toMatchObject({ status: 'warning' });
        expect(row(refused, 'Entra diagnostic setting').text).toMatch(/cannot verify: .*403 AuthorizationFailed/);
        expect(refused.code).toBe(0);
    });

    it('fails when no sign-in arrived recently, or the hub holds none at all', async () => {
        const quiet = await tenant({ read: false });
        const threeHoursAgo = Date.now() - 3 * 3_600_000;
        quiet.hub.publish(
            0,
            envelope([signIn({ user: user('Early Bird'), at: new Date(threeHoursAgo) })]),
            threeHoursAgo,
        );
        await writeCheckpoint(process.env.AZURITE_STORAGE_CONNECTION_STRING!, quiet.prefix, '0', 0);
        const r = await doctor(quiet.env);
        expect(r.code).toBe(1);
        expect(row(r, 'Sign-ins arriving')).toMatchObject({ status: 'FAILED' });
        expect(row(r, 'Sign-ins arriving').text).toMatch(
            /no event for 3 h 0 min .*fix: Check that the Entra diagnostic setting/,
        );

        const empty = await tenant({ read: false });
        const e = await doctor(empty.env);
        expect(row(e, 'Sign-ins arriving').text).toMatch(/the hub holds no event on any of its 2 partition\(s\)/);
    });

    it('fails when the responder is behind by more than LAG_WARNING_MINUTES, and reports no checkpoint yet', async () => {
        const t = await tenant({ read: false, extra: { LAG_WARNING_MINUTES: '1' } });
        // Partition 0: the host checkpointed event 0; four events came right after it and wait, and nothing newer
        // arrives. The doctor looks three minutes later: the checkpoint has not moved since.
        t.hub.publish(0, envelope([signIn({ user: user('A'), at: new Date() })]));
        await writeCheckpoint(process.env.AZURITE_STORAGE_CONNECTION_STRING!, t.prefix, '0', 0);
        for (let i = 0; i < 4; i++) t.hub.publish(0, envelope([]));
        // Partition 1: events, and no checkpoint at all.
        t.hub.publish(1, envelope([signIn({ user: user('B'), at: new Date() })]));
        const later = () => Date.now() + 3 * 60_000;
        const r = await doctor(t.env, [], undefined, { now: later });
        expect(r.code).toBe(1);
        const lag = row(r, 'Responder keeps up');
        expect(lag.status).toBe('FAILED');
        expect(lag.text).toMatch(
            /behind by more than LAG_WARNING_MINUTES \(1\) on partition\(s\) 0: 4 event\(s\) waiting, the checkpoint unmoved for 3 min/,
        );
        const none = row(r, 'Checkpoints written');
        expect(none.status).toBe('warning');
        expect(none.text).toMatch(/no checkpoint yet on partition\(s\) 1 .*fix: Expected right after a deployment/);
    });

    it('warns, naming the role, when the hub refuses this sign-in', async () => {
        const t = await tenant();
        t.hub.refuseTokens = true;
        const r = await doctor(t.env);
        for (const title of ['Sign-ins arriving', 'Responder keeps up']) {
            expect(row(r, title)).toMatchObject({ status: 'warning' });
            expect(row(r, title).text).toMatch(
                /cannot read the hub with this identity .*fix: Needs Azure Event Hubs Data Receiver on the hub/,
            );
        }
        expect(r.code).toBe(0);
    });

    it('fails when a checkpoint is ahead of the hub (recreated hub, old checkpoints)', async () => {
        const t = await tenant();
        await writeCheckpoint(process.env.AZURITE_STORAGE_CONNECTION_STRING!, t.prefix, '1', 500);
        const r = await doctor(t.env);
        expect(r.code).toBe(1);
        const ahead = row(r, 'Checkpoints match the hub');
        expect(ahead.status).toBe('FAILED');
        expect(ahead.text).toMatch(
            /partition\(s\) 1 \(checkpoint at event 500, the hub's last is 0\).*fix: Stop the function app, delete the stale checkpoints/,
        );
    });

    it('fails on an incident that needs a person, and keeps going past a bad setting', async () => {
        const t = await tenant();
        // A real attack, contained live, where Graph refuses the revoke: the incident needs attention.
        const victim = user('Needs Attention');
        graph.addUser(victim.id, { userPrincipalName: victim.upn });
        graph.fail({ path: /revokeSignInSessions$/, status: 403, times: 5 });
        const app = createRuntime({ env: { ...t.env, AZURE_CLIENT_ID: identity.clientId } });
        const { context } = (await import('../support/host')).eventHubContext(1);
        const at = Date.now() - 60_000;
        await createSignInEventsHandler(() => app)(
            [envelope(Array.from({ length: 5 }, (_, i) => pushDenied({ user: victim, at: new Date(at + i * 5_000) })))],
            context,
        );
        const r = await doctor(t.env);
        const attention = row(r, 'Incidents needing attention');
        expect(attention.status).toBe('FAILED');
        expect(attention.text).toMatch(
            new RegExp(`1 incident\\(s\\) need a person: ${victim.upn.replace(/\./g, '\\.')}: .*403`),
        );
        expect(r.code).toBe(1);

        const bad = await doctor({ ...t.env, DENIAL_THRESHOLD: 'lots' });
        expect(row(bad, 'Settings')).toMatchObject({ status: 'FAILED' });
        expect(row(bad, 'Settings').text).toMatch(
            /Setting DENIAL_THRESHOLD has the value "lots".*fix: Fix DENIAL_THRESHOLD/,
        );
        expect(row(bad, 'State table').status).toBe('ok');
        expect(row(bad, 'Entra diagnostic setting').text).toMatch(/cannot run: .*fix: Fix DENIAL_THRESHOLD first/);
        expect(bad.code).toBe(1);
    });

    it("as the app's identity: roles from its token, and what it may not read is a warning naming the role", async () => {
        const t = await tenant();
        // A client id of its own (managed identity tokens are cached per client id, and earlier tests took some),
        // holding what the grant script gives these settings.
        const clientId = identity.addClient(grantedRoles(createRuntime({ env: t.env }).containment).roles);
        graph.fail({ path: /authenticationMethodsPolicy/, status: 403, times: 10 });
        try {
            // No credential given: the runtime's choice, the managed identity AZURE_CLIENT_ID names.
            const run = await runCli(['doctor', '--arm-endpoint', arm.endpoint], {
                env: { ...t.env, AZURE_CLIENT_ID: clientId },
            });
            const code = run.code;
            const r = { rows: rows(run.stdout) };
            expect(row(r, 'Graph permissions').text).toMatch(/the identity's token carries the 5 app role\(s\)/);
            const migration = row(r, 'Authentication methods migration');
            expect(migration.status).toBe('warning');
            expect(migration.text).toMatch(
                /cannot read it with this sign-in \(403\).*fix: Run the doctor as Global Reader or Authentication Policy Administrator/,
            );
            expect(row(r, 'Entra diagnostic setting')).toMatchObject({ status: 'warning' });
            expect(row(r, 'Entra diagnostic setting').text).toMatch(/cannot verify/);
            expect(code).toBe(0);
        } finally {
            graph.faults.length = 0;
        }
    });
});
