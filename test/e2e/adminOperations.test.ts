import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { HttpRequest, InvocationContext } from '@azure/functions';

import { createListIncidentsHandler, createReleaseHandler, createUserIncidentsHandler } from '../../functions/admin';
import { RELEASE_KEY_ENV, RELEASE_KEY_HEADERS } from '../support/releaseKey';
import { createContainmentTimerHandler } from '../../functions/containmentTimer';
import { createSignInEventsHandler } from '../../functions/signInEvents';
import type { Containment } from '../../shared/containment/model';
import { containedIncidents } from '../../shared/userRow/userRow';
import { readUserRow } from '../../shared/userRow/userRowShape';
import type { Incident } from '../../shared/detection/userState';
import { createRuntime, Runtime } from '../../shared/runtime';
import { runCli } from '../support/cliRun';
import { FakeGraph, FakeIdentity } from '../support/fakeGraph';
import { startLocalGraph, stopLocalGraph } from '../support/localGraph';
import { eventHubContext } from '../support/host';
import { envelope, pushDenied, User, user } from '../support/signInFactory';

const T0 = Date.parse('2026-11-02T09:00:00Z');
const at = (m: number) => new Date(T0 + m * 60_000);
const GROUP = '2c3d4e5f-6071-4283-94a5-b6c7d8e9f0a1';
let identity: FakeIdentity;
let graph: FakeGraph;
let n = 0;

beforeAll(async () => {
    ({ identity, graph } = await startLocalGraph({ group: GROUP }));
});

afterAll(async () => {
    await stopLocalGraph({ identity, graph });
});

function env(extra: Record<string, string> = {}): Record<string, string | undefined> {
    return {
        STATE_TABLE_CONNECTION_STRING: process.env.AZURITE_TABLE_CONNECTION_STRING,
        STATE_TABLE_NAME: `adm${process.pid}x${Date.now().toString(36)}x${n++}`,
        AZURE_CLIENT_ID: identity.clientId,
        GRAPH_BASE_URL: graph.baseUrl,
        GRAPH_CALL_TIMEOUT_SECONDS: '2',
        GRAPH_STEP_BUDGET_SECONDS: '5',
        CONTAINMENT_MODE: 'live',
        PUSH_BLOCK_GROUP_ID: GROUP,
        // Live mode needs a break-glass exclusion to start (shared/settings/containment.ts); nobody in these tests is one.
        NEVER_CONTAIN: 'breakglass@contoso.com',
        ...extra,
    };
}

function victim(): User {
    const u = user(`Admin Victim ${n++}`);
    graph.addUser(u.id, { userPrincipalName: u.upn });
    return u;
}
const attack = (u: User) => [envelope(Array.from({ length: 6 }, (_, i) => pushDenied({ user: u, at: at(i * 0.3) })))];
/** A timer tick as the host hands it over. */
const TIMER = {
    isPastDue: false,
    schedule: { adjustForDST: false },
    scheduleStatus: { last: '', next: '', lastUpdated: '' },
};
const ctx = () => new InvocationContext({ functionName: 'admin', logHandler: () => undefined });

/** The user's first incident with its containment beside it. */
async function firstIncident(rt: Runtime, u: User): Promise<Incident & { containment?: Containment }> {
    const [first] = containedIncidents(readUserRow((await rt.store.read(u.id))!.doc));
    return { ...first!.incident, ...(first!.containment ? { containment: first!.containment } : {}) };
}

describe('admin HTTP endpoints', () => {
    it('list, show and release, with validated input', async () => {
        const e = env();
        const rt = createRuntime({ env: e });
        const u = victim();
        await createSignInEventsHandler(() => rt)(attack(u), eventHubContext(1).context);
        expect(graph.groups.get(GROUP)!.members.has(u.id)).toBe(true);

        const list = await createListIncidentsHandler(() => rt)(
            new HttpRequest({ method: 'GET', url: 'http://localhost/api/incidents?open=true' }),
            ctx(),
        );
        expect(list.status).toBe(200);
        expect((list.jsonBody as { incidents: unknown[] }).incidents).toEqual([
            expect.objectContaining({
                userId: u.id,
                trigger: 'threshold',
                containment: 'contained',
                steps: expect.arrayContaining([expect.objectContaining({ name: 'block-push', status: 'done' })]),
            }),
        ]);

        const show = createUserIncidentsHandler(() => rt);
        expect(
            (await show(new HttpRequest({ method: 'GET', url: 'http://localhost/x', params: { userId: u.id } }), ctx()))
                .status,
        ).toBe(200);
        expect(
            (
                await show(
                    new HttpRequest({ method: 'GET', url: 'http://localhost/x', params: { userId: '../../users' } }),
                    ctx(),
                )
            ).status,
        ).toBe(400);

        const release = createReleaseHandler(() => rt, { env: RELEASE_KEY_ENV });
        const bad = await release(
            new HttpRequest({
                method: 'POST',
                url: 'http://localhost/x',
                headers: RELEASE_KEY_HEADERS,
                params: { userId: u.id },
                body: { string: '{}' },
            }),
            ctx(),
        );
        expect(bad.status).toBe(400);
        const ok = await release(
            new HttpRequest({
                method: 'POST',
                url: 'http://localhost/x',
                params: { userId: u.id },
                headers: { ...RELEASE_KEY_HEADERS, 'x-ms-client-principal-name': 'analyst@contoso.com' },
                body: {
                    string: JSON.stringify({
                        reason: 'user confirmed they were not signing in; password reset',
                        releasedBy: 'someone else',
                    }),
                },
            }),
            ctx(),
        );
        expect(ok.status).toBe(200);
        expect(graph.groups.get(GROUP)!.members.has(u.id)).toBe(false);
        const after = await firstIncident(rt, u);
        // Without App Service authentication the x-ms-client-principal-name header is the caller's own claim, not
        // the platform's: the name comes from the body (test/functions/adminCaller.test.ts covers authentication on).
        expect(after.containment!.release).toMatchObject({ by: 'someone else' });
        const again = await release(
            new HttpRequest({
                method: 'POST',
                url: 'http://localhost/x',
                headers: RELEASE_KEY_HEADERS,
                params: { userId: u.id },
                body: { string: JSON.stringify({ reason: 'again' }) },
            }),
            ctx(),
        );
        expect(again.status).toBe(404);
    });

    it('maps a Graph refusal of the undo to 502 with the Graph code, and changes nothing', async () => {
        const rt = createRuntime({ env: env() });
        const u = victim();
        await createSignInEventsHandler(() => rt)(attack(u), eventHubContext(1).context);
        graph.fail({ method: 'DELETE', path: /\/members\/.*\/\$ref$/, status: 403 });
        const res = await createReleaseHandler(() => rt, { env: RELEASE_KEY_ENV })(
            new HttpRequest({
                method: 'POST',
                url: 'http://localhost/x',
                headers: RELEASE_KEY_HEADERS,
                params: { userId: u.id },
                body: { string: JSON.stringify({ reason: 'verified by phone' }) },
            }),
            ctx(),
        );
        expect(res.status).toBe(502);
        expect(res.jsonBody).toMatchObject({ error: { code: 'Authorization_RequestDenied', graphStatus: 403 } });
        expect((await firstIncident(rt, u)).closedAt).toBeUndefined();
    });

    it('the timer function resumes due work', async () => {
        const rt = createRuntime({ env: env() });
        const u = victim();
        graph.fail({
            method: 'POST',
            path: new RegExp(`/users/${u.id}/revokeSignInSessions$`),
            status: 503,
            retryAfter: '30',
            times: 1,
        });
        await createSignInEventsHandler(() => rt)(attack(u), eventHubContext(1).context);
        expect((await firstIncident(rt, u)).containment!.status).toBe('retrying');
        const timer = createContainmentTimerHandler(() => rt);
        // The backoff is a minute; a timer run before it does nothing, one after it finishes the job.
        await timer(TIMER, ctx());
        expect((await firstIncident(rt, u)).containment!.status).toBe('retrying');
        const later = createContainmentTimerHandler(
            () => rt,
            () => Date.now() + 2 * 60_000,
        );
        await later(TIMER, ctx());
        expect((await firstIncident(rt, u)).containment!.status).toBe('contained');
    });
});

describe('mfa-responder incidents, release, setup and replay --contain', () => {
    it('lists incidents and releases a user by UPN', async () => {
        const e = env();
        const rt = createRuntime({ env: e });
        const u = victim();
        await createSignInEventsHandler(() => rt)(attack(u), eventHubContext(1).context);
        const listed = await runCli(['incidents', '--json'], { env: e });
        expect(listed.code).toBe(0);
        expect(JSON.parse(listed.stdout.trim())).toMatchObject({
            type: 'incident',
            schemaVersion: 1,
            userId: u.id,
            containment: 'contained',
        });
        const text = await runCli(['incidents'], { env: e });
        const [header, row] = text.stdout.trim().split('\n');
        expect(header).toMatch(
            /^ATTACK STARTED \(UTC\) +SEVERITY +STATE +USER +TRIGGER +DENIED +CONTAINMENT +INCIDENT$/,
        );
        expect(row).toMatch(
            new RegExp(
                `^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d +(High|Medium) +open +${u.upn} +threshold +\\d+ +contained`,
            ),
        );

        expect((await runCli(['release', u.upn], { env: e })).code).toBe(2);
        const released = await runCli(
            ['release', u.upn.toUpperCase(), '--reason', 'verified in person', '--by', 'soc@contoso.com'],
            { env: e },
        );
        expect(released.stderr).toBe('');
        expect(released.code).toBe(0);
        expect(released.stdout).toMatch(/Released .*removed from push-block group/);
        expect(graph.groups.get(GROUP)!.members.has(u.id)).toBe(false);
        const unknown = await runCli(['release', 'nobody@contoso.com', '--reason', 'x y z'], { env: e });
        expect(unknown.code).toBe(1);
        expect(unknown.stderr).toMatch(/no incident for a user with UPN/);
    });

    it('setup creates the group once and adds it to excludeTargets without dropping existing entries', async () => {
        const keep = [
            { id: 'a1b2c3d4-0000-4000-8000-000000000001', targetType: 'group' as const },
            { id: 'a1b2c3d4-0000-4000-8000-000000000002', targetType: 'user' as const },
        ];
        graph.policy.excludeTargets = [...keep];
        // setup runs with an admin's own sign-in (delegated), never as the app: the app holds no such role.
        const e = { GRAPH_BASE_URL: graph.baseUrl, AZURE_CLIENT_ID: identity.addOperator() };
        const first = await runCli(['setup', '--group-name', 'SG-Push-Blocked-Test', '--json'], { env: e });
        expect(first.stderr).toBe('');
        const r1 = JSON.parse(first.stdout) as { groupId: string; groupCreated: boolean; excluded: string };
        expect(r1).toMatchObject({ groupCreated: true, excluded: 'added' });
        expect(graph.policy.excludeTargets).toEqual([...keep, { id: r1.groupId, targetType: 'group' }]);
        const patches = () =>
            graph.calls.filter((c) => c.method === 'PATCH' && c.path.endsWith('/microsoftAuthenticator'));
        expect(patches()).toHaveLength(1);
        expect(patches()[0]!.body).toMatchObject({
            '@odata.type': '#microsoft.graph.microsoftAuthenticatorAuthenticationMethodConfiguration',
        });

        const second = await runCli(['setup', '--group-name', 'SG-Push-Blocked-Test', '--json'], { env: e });
        expect(JSON.parse(second.stdout)).toMatchObject({
            groupId: r1.groupId,
            groupCreated: false,
            excluded: 'already',
        });
        expect(patches()).toHaveLength(1);
        expect([...graph.groups.values()].filter((g) => g.displayName === 'SG-Push-Blocked-Test')).toHaveLength(1);

        const text = await runCli(['setup', '--group-id', GROUP], { env: e });
        expect(text.stdout).toMatch(new RegExp(`PUSH_BLOCK_GROUP_ID=${GROUP}`));
        expect(graph.policy.excludeTargets.map((t) => t.id)).toEqual([...keep.map((k) => k.id), r1.groupId, GROUP]);
        expect((await runCli(['setup', '--group-name', "x' or 1 eq 1"], { env: e })).code).not.toBe(0);
    });

    it('setup --methods excludes the push-block group from the SMS and voice policies too, keeping their entries', async () => {
        const e = { GRAPH_BASE_URL: graph.baseUrl, AZURE_CLIENT_ID: identity.addOperator() };
        const existing = { id: 'a1b2c3d4-0000-4000-8000-0000000000aa', targetType: 'group' as const };
        graph.policies.get('sms')!.excludeTargets = [existing];
        const r = await runCli(
            ['setup', '--group-id', GROUP, '--methods', 'microsoftAuthenticator,sms,voice', '--json'],
            {
                env: e,
            },
        );
        expect(r.stderr).toBe('');
        expect(JSON.parse(r.stdout)).toMatchObject({
            methods: [
                { method: 'microsoftAuthenticator' },
                { method: 'sms', excluded: 'added', exclusions: 2 },
                { method: 'voice', excluded: 'added', exclusions: 1 },
            ],
        });
        expect(graph.policies.get('sms')!.excludeTargets).toEqual([existing, { id: GROUP, targetType: 'group' }]);
        expect(graph.policies.get('voice')!.excludeTargets).toEqual([{ id: GROUP, targetType: 'group' }]);
        expect(graph.policy.excludeTargets.map((t) => t.id)).toContain(GROUP);
        const bad = await runCli(['setup', '--group-id', GROUP, '--methods', 'push,email'], { env: e });
        expect(bad.code).toBe(2);
        expect(bad.stderr).toMatch(/--methods takes/);
    });

    it('setup as the app is refused: the roles the grant script gives cannot create groups or edit the policy', async () => {
        const refusedBefore = graph.refusedForRoles.length;
        const policyBefore = JSON.stringify(graph.policy.excludeTargets);
        const r = await runCli(['setup', '--group-name', 'SG-Not-Allowed', '--json'], {
            env: { GRAPH_BASE_URL: graph.baseUrl, AZURE_CLIENT_ID: identity.clientId },
        });
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(/403|Insufficient privileges|Authorization_RequestDenied/);
        expect(graph.refusedForRoles.length).toBeGreaterThan(refusedBefore);
        expect([...graph.groups.values()].some((g) => g.displayName === 'SG-Not-Allowed')).toBe(false);
        expect(JSON.stringify(graph.policy.excludeTargets)).toBe(policyBefore);
    });

    it('replay never calls Graph without --contain, and --contain needs live mode and an explicit Graph URL', async () => {
        const u = victim();
        const dir = mkdtempSync(join(tmpdir(), 'mfa-contain-'));
        const file = join(dir, 'attack.ndjson');
        writeFileSync(
            file,
            attack(u)
                .map((m) => JSON.stringify(m))
                .join('\n'),
        );
        const before = graph.calls.length;
        const plain = await runCli(['replay', file, '--json'], { env: env() });
        expect(plain.code).toBe(0);
        expect(graph.calls.length).toBe(before);

        const dry = await runCli(['replay', file, '--contain'], { env: env({ CONTAINMENT_MODE: 'dry-run' }) });
        expect(dry.code).toBe(78);
        expect(dry.stderr).toMatch(/CONTAINMENT_MODE=live/);
        const noUrl = { ...env() };
        delete noUrl.GRAPH_BASE_URL;
        expect((await runCli(['replay', file, '--contain'], { env: noUrl })).stderr).toMatch(/GRAPH_BASE_URL/);
        expect(graph.calls.length).toBe(before);

        const live = await runCli(['replay', file, '--contain', '--json'], { env: env() });
        expect(live.code).toBe(0);
        const incident = JSON.parse(live.stdout.trim().split('\n')[0]!) as Record<string, unknown>;
        expect(incident).toMatchObject({ type: 'incident', userId: u.id, containment: 'contained' });
        expect(graph.groups.get(GROUP)!.members.has(u.id)).toBe(true);
    });
});
