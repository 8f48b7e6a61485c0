import { randomUUID } from 'node:crypto';

import { createSignInEventsHandler } from '../../functions/signInEvents';
import type { Containment } from '../../shared/containment/model';
import { releaseUser } from '../../shared/runners/release';
import { runContainment } from '../../shared/runners/runContainment';
import { runDueWork } from '../../shared/runners/runDueWork';
import { containedIncidents, newUserRow } from '../../shared/userRow/userRow';
import { readUserRow } from '../../shared/userRow/userRowShape';
import type { Incident } from '../../shared/detection/userState';
import { createRuntime, Runtime } from '../../shared/runtime';
import { FakeGraph, FakeIdentity } from '../support/fakeGraph';
import { appClientFor, startLocalGraph, stopLocalGraph } from '../support/localGraph';
import { eventHubContext } from '../support/host';
import { envelope, fraudReport, pushDenied, User, user } from '../support/signInFactory';
import { startWebhook } from '../support/webhook';

const silent = { log: () => undefined, warn: () => undefined, error: () => undefined };
const T0 = Date.parse('2026-11-02T09:00:00Z');
const at = (m: number) => new Date(T0 + m * 60_000);
const PUSH_BLOCK_GROUP = '9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d';
const BREAK_GLASS_GROUP = '1b2c3d4e-5f60-4172-8394-a5b6c7d8e9f0';

let identity: FakeIdentity;
let graph: FakeGraph;
let webhook: Awaited<ReturnType<typeof startWebhook>>;
let n = 0;

beforeAll(async () => {
    ({ identity, graph } = await startLocalGraph({ group: PUSH_BLOCK_GROUP }));
    webhook = await startWebhook();
    graph.addGroup(BREAK_GLASS_GROUP, 'SG-Break-Glass');
});

afterEach(() => {
    graph.faults.splice(0);
});

afterAll(async () => {
    await stopLocalGraph({ identity, graph });
    await webhook.close();
});

function runtime(env: Record<string, string> = {}): Runtime {
    const settings: Record<string, string | undefined> = {
        STATE_TABLE_CONNECTION_STRING: process.env.AZURITE_TABLE_CONNECTION_STRING,
        STATE_TABLE_NAME: `e2e${process.pid}x${Date.now().toString(36)}x${n++}`,
        GRAPH_BASE_URL: graph.baseUrl,
        GRAPH_CALL_TIMEOUT_SECONDS: '2',
        GRAPH_STEP_BUDGET_SECONDS: '8',
        CONTAINMENT_MODE: 'live',
        PUSH_BLOCK_GROUP_ID: PUSH_BLOCK_GROUP,
        NOTIFY_WEBHOOK_URL: webhook.url,
        NEVER_CONTAIN_GROUP_IDS: BREAK_GLASS_GROUP,
        ...env,
    };
    // The identity holds exactly what the grant script grants for these settings.
    return createRuntime({ env: { ...settings, AZURE_CLIENT_ID: appClientFor(identity, settings) } });
}

/** A user Graph knows, with a unique name, and an attack of `denials` declined pushes on them. */
function victim(name = 'Victim'): User {
    const u = user(`${name} ${n++} ${randomUUID().slice(0, 6)}`);
    graph.addUser(u.id, { userPrincipalName: u.upn });
    return u;
}
const attack = (u: User, denials = 6, start = 0) => [
    envelope(
        Array.from({ length: denials }, (_, i) =>
            pushDenied({ user: u, at: at(start + i * 0.3), ip: '185.220.101.34' }),
        ),
    ),
];

const callsFor = (u: User) => graph.calls.filter((c) => c.path.includes(u.id));
const writesFor = (u: User) =>
    graph.writes().filter((c) => c.path.includes(u.id) || JSON.stringify(c.body ?? '').includes(u.id));
const revokes = (u: User) =>
    callsFor(u).filter((c) => c.path.endsWith('/revokeSignInSessions') && c.status === 200).length;
const blocks = (u: User) =>
    graph.calls.filter(
        (c) =>
            c.path === `/v1.0/groups/${PUSH_BLOCK_GROUP}/members/$ref` &&
            JSON.stringify(c.body).includes(u.id) &&
            c.status === 204,
    ).length;

/** The user's incidents, each with its containment beside it. */
async function incidentsOf(rt: Runtime, u: User): Promise<Array<Incident & { containment?: Containment }>> {
    const row = await rt.store.read(u.id);
    if (!row) return [];
    return containedIncidents(readUserRow(row.doc)).map(({ incident, containment }) => ({
        ...incident,
        ...(containment ? { containment } : {}),
    }));
}

async function deliver(rt: Runtime, messages: unknown[]): Promise<string> {
    const { context, logs } = eventHubContext(messages.length);
    await createSignInEventsHandler(() => rt)(messages, context);
    return logs.text();
}

describe('containment end to end: Event Hub handler → Azurite → Graph', () => {
    it('revokes and blocks the attacked user exactly once, with a managed identity token, and notifies', async () => {
        const rt = runtime();
        const u = victim();
        await deliver(rt, attack(u));
        const [inc] = await incidentsOf(rt, u);
        expect(inc!.containment).toMatchObject({ status: 'contained', mode: 'live' });
        expect(inc!.containment!.steps.map((s) => [s.name, s.status])).toEqual([
            ['check-exclusions', 'done'],
            ['circuit-breaker', 'done'],
            ['revoke-sessions', 'done'],
            ['block-push', 'done'],
        ]);
        expect(revokes(u)).toBe(1);
        expect(blocks(u)).toBe(1);
        expect(graph.groups.get(PUSH_BLOCK_GROUP)!.members.has(u.id)).toBe(true);
        expect(graph.calls.filter((c) => c.status === 401)).toEqual([]);
        const notice = webhook.received.find((w) => w.userId === u.id);
        expect(notice).toMatchObject({
            kind: 'incident',
            title: expect.stringContaining('contained'),
            trigger: 'threshold',
        });
        expect(notice!.text).toMatch(/mfa-responder release/);

        // Redelivery and later prompts of the same attack change nothing in Graph.
        await deliver(rt, attack(u));
        await deliver(rt, attack(u, 4, 2));
        await runDueWork(rt.containmentDeps(silent));
        expect(revokes(u)).toBe(1);
        expect(blocks(u)).toBe(1);
        expect(await incidentsOf(rt, u)).toHaveLength(1);
    });

    it('never touches users excluded by id, by UPN or by group, and says why', async () => {
        const byId = victim('Breakglass Id');
        const byUpn = victim('Breakglass Upn');
        const byGroup = victim('Breakglass Group');
        graph.users.get(byGroup.id)!.memberOf.add(BREAK_GLASS_GROUP);
        const rt = runtime({ NEVER_CONTAIN: `${byId.id}, ${byUpn.upn.toUpperCase()}` });
        await deliver(rt, [...attack(byId), ...attack(byUpn), ...attack(byGroup)]);
        for (const u of [byId, byUpn, byGroup]) {
            expect(writesFor(u)).toEqual([]);
            const [inc] = await incidentsOf(rt, u);
            expect(inc!.containment?.status).toBe('not-contained');
        }
        expect((await incidentsOf(rt, byId))[0]!.containment!.reason).toMatch(/NEVER_CONTAIN/);
        expect((await incidentsOf(rt, byGroup))[0]!.containment!.reason).toMatch(
            new RegExp(`NEVER_CONTAIN_GROUP_IDS group ${BREAK_GLASS_GROUP}`),
        );
        expect(webhook.received.find((w) => w.userId === byGroup.id)?.title).toMatch(/NOT contained/);
    });

    it('does not contain, and alerts, when the group exclusion check fails', async () => {
        const rt = runtime();
        const u = victim();
        graph.fail({ method: 'POST', path: new RegExp(`/users/${u.id}/checkMemberGroups$`), status: 403 });
        await deliver(rt, attack(u));
        const [inc] = await incidentsOf(rt, u);
        expect(writesFor(u)).toEqual([]);
        expect(inc!.containment).toMatchObject({ status: 'needs-attention' });
        expect(inc!.containment!.steps[0]).toMatchObject({
            name: 'check-exclusions',
            status: 'failed',
            error: { status: 403, code: 'Authorization_RequestDenied' },
        });
        // One notice, with the incident's latest state: the needs-attention notice stands for the incident one.
        expect(webhook.received.filter((w) => w.userId === u.id).map((w) => w.kind)).toEqual(['needs-attention']);
        expect(inc!.containment!.notices).toEqual([
            expect.objectContaining({ kind: 'incident', status: 'superseded', supersededBy: 'needs-attention' }),
            expect.objectContaining({ kind: 'needs-attention', status: 'sent' }),
        ]);
    });

    it('makes no Graph call at all in dry-run, and records every step as dry-run', async () => {
        const rt = runtime({ CONTAINMENT_MODE: 'dry-run' });
        const u = victim();
        const before = graph.calls.length;
        await deliver(rt, attack(u));
        expect(graph.calls.length).toBe(before);
        const [inc] = await incidentsOf(rt, u);
        expect(inc!.containment!.status).toBe('dry-run');
        expect(inc!.containment!.steps.every((s) => s.status === 'dry-run')).toBe(true);
        expect(webhook.received.find((w) => w.userId === u.id)?.title).toMatch(/dry-run/);
    });

    it('waits out throttling (429 + Retry-After) and retries 500, 502 and dropped connections', async () => {
        const rt = runtime();
        const u = victim();
        graph.fail({ method: 'POST', path: /\/revokeSignInSessions$/, status: 429, retryAfter: '1', times: 2 });
        graph.fail({ method: 'POST', path: /\/members\/\$ref$/, status: 500 });
        graph.fail({ method: 'POST', path: /\/members\/\$ref$/, status: 502 });
        graph.fail({ method: 'POST', path: /\/members\/\$ref$/, status: 'reset' });
        const started = Date.now();
        await deliver(rt, attack(u));
        expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
        // The event handler spends a few seconds at most; what its retries could not finish, the timer does.
        const revokedInline = (await incidentsOf(rt, u))[0]!.containment!.steps.some(
            (step) => step.name === 'revoke-sessions' && step.status === 'done',
        );
        if ((await incidentsOf(rt, u))[0]!.containment!.status !== 'contained') {
            await runDueWork({ ...rt.containmentDeps(silent), now: () => Date.now() + 2 * 60_000 });
        }
        const revokeCalls = callsFor(u).filter((c) => c.path.endsWith('/revokeSignInSessions'));
        expect(revokeCalls.map((c) => c.status)).toEqual([429, 429, 200]);
        // At least what Retry-After asked (1 s), and backing off beyond it: 1 s, then 2 s or more. (On a loaded
        // machine the handler's budget may end before the third call: the timer makes it then, on a clock two
        // minutes on, so only the handler's own waits are measured in real time.)
        expect(revokeCalls[1]!.at - revokeCalls[0]!.at).toBeGreaterThanOrEqual(950);
        if (revokedInline) expect(revokeCalls[2]!.at - revokeCalls[1]!.at).toBeGreaterThanOrEqual(1900);
        expect(blocks(u)).toBe(1);
        expect(
            graph.calls
                .filter((c) => c.path.endsWith('/members/$ref') && JSON.stringify(c.body).includes(u.id))
                .map((c) => c.status),
        ).toEqual([500, 502, 0, 204]);
        expect((await incidentsOf(rt, u))[0]!.containment!.status).toBe('contained');
    });

    it('times out a Graph call that hangs and retries it within the step budget', async () => {
        const rt = runtime({ GRAPH_CALL_TIMEOUT_SECONDS: '1' });
        const u = victim();
        graph.fail({ method: 'POST', path: new RegExp(`/users/${u.id}/revokeSignInSessions$`), status: 'hang' });
        await deliver(rt, attack(u));
        expect(
            callsFor(u)
                .filter((c) => c.path.endsWith('/revokeSignInSessions'))
                .map((c) => c.status),
        ).toEqual([0, 200]);
        expect(revokes(u)).toBe(1);
        expect((await incidentsOf(rt, u))[0]!.containment!.status).toBe('contained');
    });

    it('a timer run out of time starts no new run: the work waits, counted as deferred, for the next tick', async () => {
        const rt = runtime();
        const u = victim();
        graph.fail({
            method: 'POST',
            path: new RegExp(`/users/${u.id}/revokeSignInSessions$`),
            status: 503,
            times: 10,
        });
        await deliver(rt, attack(u));
        expect((await incidentsOf(rt, u))[0]!.containment!.status).toBe('retrying');
        const later = Date.now() + 2 * 60_000;
        const before = callsFor(u).length;
        const spent = await runDueWork({ ...rt.containmentDeps(silent), now: () => later }, { deadline: later });
        expect(spent.deferred).toBeGreaterThanOrEqual(1);
        expect(callsFor(u).length).toBe(before);
        for (const f of graph.faults) if (f.path.source.includes(u.id)) f.times = 0; // Graph recovers
        const next = await runDueWork(
            { ...rt.containmentDeps(silent), now: () => later },
            { deadline: later + 60_000 },
        );
        expect(next.runs).toBeGreaterThanOrEqual(1);
        expect((await incidentsOf(rt, u))[0]!.containment!.status).toBe('contained');
    });

    it('stores a 404 from Graph on the step with its code, and retries it later', async () => {
        const rt = runtime();
        const u = victim();
        graph.fail({ method: 'POST', path: /\/members\/\$ref$/, status: 404 });
        await deliver(rt, attack(u));
        let [inc] = await incidentsOf(rt, u);
        expect(inc!.containment!.status).toBe('retrying');
        expect(inc!.containment!.steps.find((s) => s.name === 'block-push')).toMatchObject({
            status: 'failed',
            error: { status: 404, code: 'Request_ResourceNotFound' },
        });
        await runDueWork({ ...rt.containmentDeps(silent), now: () => Date.now() + 2 * 60_000 });
        [inc] = await incidentsOf(rt, u);
        expect(inc!.containment!.status).toBe('contained');
        expect(blocks(u)).toBe(1);
        expect(revokes(u)).toBe(1);
    });

    it('ends in needs-attention at once on a 403, keeps the Graph code, and does not retry it', async () => {
        const rt = runtime();
        const u = victim();
        graph.fail({ method: 'POST', path: /\/members\/\$ref$/, status: 403, times: 5 });
        await deliver(rt, attack(u));
        const [inc] = await incidentsOf(rt, u);
        expect(inc!.containment!.status).toBe('needs-attention');
        expect(inc!.containment!.reason).toMatch(/403 Authorization_RequestDenied/);
        expect(inc!.containment!.steps.find((s) => s.name === 'block-push')).toMatchObject({
            status: 'failed',
            attempts: 1,
            error: {
                status: 403,
                code: 'Authorization_RequestDenied',
                message: 'Insufficient privileges to complete the operation.',
            },
        });
        expect(revokes(u)).toBe(1);
        await runDueWork({ ...rt.containmentDeps(silent), now: () => Date.now() + 3_600_000 });
        expect(
            graph.calls.filter((c) => c.path.endsWith('/members/$ref') && JSON.stringify(c.body).includes(u.id)),
        ).toHaveLength(1);
        expect(webhook.received.filter((w) => w.userId === u.id && w.kind === 'needs-attention')).toHaveLength(1);
    });

    it('retries a step that keeps failing from the timer with backoff, then needs attention after MAX_STEP_ATTEMPTS', async () => {
        const rt = runtime({ GRAPH_STEP_BUDGET_SECONDS: '5', MAX_STEP_ATTEMPTS: '3' });
        const u = victim();
        graph.fail({
            method: 'POST',
            path: new RegExp(`/users/${u.id}/revokeSignInSessions$`),
            status: 503,
            code: 'ServiceUnavailable',
            retryAfter: '10',
            times: 100,
        });
        await deliver(rt, attack(u));
        let [inc] = await incidentsOf(rt, u);
        expect(inc!.containment).toMatchObject({ status: 'retrying' });
        expect(blocks(u)).toBe(1); // an independent step does not wait for the failing one
        let clock = Date.now();
        const deps = { ...rt.containmentDeps(silent), now: () => clock };
        await runDueWork(deps);
        expect((await incidentsOf(rt, u))[0]!.containment!.steps[2]!.attempts).toBe(1); // not due yet: backoff
        for (let i = 0; i < 3; i++) {
            clock += 31 * 60_000;
            await runDueWork(deps);
        }
        [inc] = await incidentsOf(rt, u);
        expect(inc!.containment!.status).toBe('needs-attention');
        expect(inc!.containment!.steps[2]).toMatchObject({
            name: 'revoke-sessions',
            status: 'failed',
            attempts: 3,
            error: { status: 503, code: 'ServiceUnavailable' },
        });
        graph.faults.splice(0);
    });

    it('opens the circuit breaker at MAX_CONTAINMENTS_PER_HOUR: records and notifies, but does not contain', async () => {
        const rt = runtime({ MAX_CONTAINMENTS_PER_HOUR: '2' });
        const users = [victim(), victim(), victim()];
        for (const u of users) await deliver(rt, attack(u));
        const statuses = await Promise.all(users.map(async (u) => (await incidentsOf(rt, u))[0]!.containment!));
        expect(statuses.map((c) => c.status)).toEqual(['contained', 'contained', 'not-contained']);
        expect(statuses[2]!.reason).toMatch(/circuit breaker open: 2 containments in the last hour/);
        expect(writesFor(users[2]!)).toEqual([]);
        expect(webhook.received.find((w) => w.userId === users[2]!.id)?.text).toMatch(/circuit breaker open/);
    });

    it('starts one containment when two triggers for the same user race in two instances', async () => {
        const table = `race${process.pid}x${n++}`;
        const a = runtime({ STATE_TABLE_NAME: table });
        const b = runtime({ STATE_TABLE_NAME: table });
        await a.ready();
        const u = victim();
        const denials = Array.from({ length: 12 }, (_, i) => pushDenied({ user: u, at: at(i * 0.2) }));
        await Promise.all([
            deliver(a, [envelope(denials.filter((_, i) => i % 2 === 0))]),
            deliver(b, [
                envelope(denials.filter((_, i) => i % 2 === 1)),
                envelope([fraudReport({ user: u, at: at(1) })]),
            ]),
        ]);
        expect(await incidentsOf(a, u)).toHaveLength(1);
        expect(revokes(u)).toBe(1);
        expect(blocks(u)).toBe(1);
        // And two runners on one incident: one does the work, the other sees the lease.
        const u2 = victim();
        const rt = runtime({ STATE_TABLE_NAME: table, CONTAINMENT_MODE: 'dry-run' });
        await deliver(rt, attack(u2));
        const live = runtime({ STATE_TABLE_NAME: table });
        const [inc] = await incidentsOf(live, u2);
        const row = (await live.store.read(u2.id))!;
        const record = readUserRow(row.doc);
        const pending: Containment = {
            ...inc!.containment!,
            status: 'pending',
            mode: 'live',
            steps: inc!.containment!.steps.map((s) => ({ ...s, status: 'pending' as const })),
        };
        await live.store.write(u2.id, newUserRow(record.state, [pending]), {
            etag: row.etag,
            index: { lastEventTime: record.state.lastEventTime, incidentCount: 1, pendingWork: true },
            writeId: 'test',
        });
        const outcomes = await Promise.all([
            runContainment(u2.id, inc!.id, live.containmentDeps(silent)),
            runContainment(u2.id, inc!.id, live.containmentDeps(silent)),
        ]);
        expect(outcomes.sort()).toEqual(['contained', 'not-due']);
        expect(revokes(u2)).toBe(1);
    });

    it('resumes at the next step after a crash between steps, without repeating the finished one', async () => {
        const rt = runtime();
        const u = victim();
        const deps = rt.containmentDeps(silent);
        // Open the incident without containing it (the plan is stored in the same write), as a batch would before
        // its worker died; then run containment and "crash" right after step 1 is persisted.
        const { processSignInBatch } = await import('../../shared/pipeline/processSignInBatch');
        await rt.ready();
        const outcome = await processSignInBatch(attack(u), {
            rows: rt.userRows,
            policy: rt.detection.policy,
            categories: rt.detection.categories,
            containment: rt.containment,
        });
        const inc = outcome.result.newIncidents[0]!.incident;
        class Crash extends Error {}
        await expect(
            runContainment(u.id, inc.id, {
                ...deps,
                afterStep: (s) => {
                    if (s.name === 'revoke-sessions') throw new Crash('process died');
                },
            }),
        ).rejects.toBeInstanceOf(Crash);
        expect(revokes(u)).toBe(1);
        expect(blocks(u)).toBe(0);
        let [stored] = await incidentsOf(rt, u);
        expect(stored!.containment!.status).toBe('running');
        // The record says where the run was: revoke done, block-push started (its call never went out).
        expect(stored!.containment!.steps.map((s) => s.status)).toEqual(['done', 'done', 'done', 'running']);

        await runDueWork(deps); // lease still held: nothing happens yet
        expect(blocks(u)).toBe(0);
        await runDueWork({ ...deps, now: () => Date.now() + 10 * 60_000 });
        [stored] = await incidentsOf(rt, u);
        expect(stored!.containment!.status).toBe('contained');
        expect(revokes(u)).toBe(1);
        expect(blocks(u)).toBe(1);
    });

    it('release removes the push block, closes the incident with who and why, and notifies', async () => {
        const rt = runtime();
        const u = victim();
        await deliver(rt, attack(u));
        expect(graph.groups.get(PUSH_BLOCK_GROUP)!.members.has(u.id)).toBe(true);
        const releasedFrom = Date.now();
        const result = await releaseUser(
            u.id,
            { by: 'soc.analyst@contoso.com', reason: 'verified with the user by phone' },
            { ...rt.containmentDeps(silent), graph: rt.graph() },
        );
        expect(result.undo).toMatch(/removed from push-block group/);
        expect(graph.groups.get(PUSH_BLOCK_GROUP)!.members.has(u.id)).toBe(false);
        const [inc] = await incidentsOf(rt, u);
        // Closed by this release: at the wall-clock time it ran.
        expect(inc!.closedAt).toBeGreaterThanOrEqual(releasedFrom);
        expect(inc!.closedAt).toBeLessThanOrEqual(Date.now());
        expect(inc!.containment).toMatchObject({
            status: 'released',
            release: { by: 'soc.analyst@contoso.com', reason: 'verified with the user by phone' },
        });
        expect(webhook.received.filter((w) => w.userId === u.id).map((w) => w.kind)).toEqual(['incident', 'released']);
        // A new attack after the release is a new incident, contained again once the cooldown allows.
        await deliver(rt, attack(u, 6, 120));
        expect(await incidentsOf(rt, u)).toHaveLength(2);
    });

    it('records that Graph does not revoke guest sessions, and still blocks push', async () => {
        const rt = runtime();
        const u = victim();
        graph.users.get(u.id)!.userType = 'Guest';
        const guestAttack = [
            envelope(Array.from({ length: 6 }, (_, i) => pushDenied({ user: u, at: at(i * 0.3), userType: 'Guest' }))),
        ];
        await deliver(rt, guestAttack);
        const [inc] = await incidentsOf(rt, u);
        expect(inc!.containment!.steps.find((s) => s.name === 'revoke-sessions')).toMatchObject({
            status: 'skipped',
            detail: expect.stringMatching(/guest user/),
        });
        expect(revokes(u)).toBe(0);
        expect(blocks(u)).toBe(1);
        expect(inc!.containment!.status).toBe('contained');
    });

    it('in remove-method mode deletes the other registrations before the default one', async () => {
        const rt = runtime({ PUSH_BLOCK_MODE: 'remove-method' });
        const u = victim();
        graph.users.get(u.id)!.authenticatorMethods = [
            { id: 'default-phone', displayName: 'iPhone', isDefault: true },
            { id: 'old-tablet', displayName: 'iPad', isDefault: false },
        ];
        await deliver(rt, attack(u));
        const [inc] = await incidentsOf(rt, u);
        expect(graph.users.get(u.id)!.authenticatorMethods).toEqual([]);
        expect(inc!.containment!.steps.find((s) => s.name === 'block-push')).toMatchObject({
            status: 'done',
            detail: 'deleted 2 Microsoft Authenticator registration(s); none left on read-back',
            verified: true,
        });
    });

    it('reports a default method that Graph refuses to delete: needs attention at once, saying what to do', async () => {
        const rt = runtime({ PUSH_BLOCK_MODE: 'remove-method' });
        const u = victim();
        const fu = graph.users.get(u.id)!;
        fu.authenticatorMethods = [{ id: 'only-phone', displayName: 'iPhone', isDefault: true }];
        fu.otherMethods = 1; // an SMS method is configured too
        await deliver(rt, attack(u));
        const [inc] = await incidentsOf(rt, u);
        expect(inc!.containment!.status).toBe('needs-attention');
        expect(inc!.containment!.steps.find((s) => s.name === 'block-push')).toMatchObject({
            status: 'done',
            attempts: 1,
            verified: false,
        });
        expect(inc!.containment!.reason).toMatch(
            /^block-push: Graph will not delete the user's default method \(microsoftAuthenticator "iPhone"\).*change their default method.*PUSH_BLOCK_MODE=group/,
        );
        // Two tries of the default (after the others, then once more), never a retry by the timer.
        const tries = graph.calls.filter((c) => c.method === 'DELETE' && c.path.endsWith('/only-phone'));
        expect(tries.map((c) => c.status)).toEqual([400, 400]);
    });

    it('confirms compromise and disables the account, then revokes again, when configured', async () => {
        const rt = runtime({ CONFIRM_COMPROMISED: 'true', DISABLE_ACCOUNT: 'true' });
        const u = victim();
        await deliver(rt, attack(u));
        const [inc] = await incidentsOf(rt, u);
        expect(inc!.containment!.steps.map((s) => [s.name, s.status])).toEqual([
            ['check-exclusions', 'done'],
            ['circuit-breaker', 'done'],
            ['revoke-sessions', 'done'],
            ['block-push', 'done'],
            ['confirm-compromised', 'done'],
            ['disable-account', 'done'],
            ['revoke-sessions-again', 'done'],
        ]);
        expect(graph.riskyConfirmed).toContain(u.id);
        expect(graph.users.get(u.id)!.accountEnabled).toBe(false);
        expect(revokes(u)).toBe(2);
    });

    it('a failing webhook never blocks containment, and the timer sends it later', async () => {
        const rt = runtime();
        const u = victim();
        webhook.failNext = 1;
        await deliver(rt, attack(u));
        let [inc] = await incidentsOf(rt, u);
        expect(inc!.containment!.status).toBe('contained');
        const failed = inc!.containment!.notices[0]!;
        expect(failed).toMatchObject({ kind: 'incident', status: 'failed', attempts: 1 });
        // Not again before its backoff (a minute after the first failure), then sent.
        await runDueWork(rt.containmentDeps(silent));
        [inc] = await incidentsOf(rt, u);
        expect(inc!.containment!.notices[0]).toMatchObject({ status: 'failed', attempts: 1 });
        await runDueWork({ ...rt.containmentDeps(silent), now: () => failed.nextAttemptAt! });
        [inc] = await incidentsOf(rt, u);
        expect(inc!.containment!.notices[0]).toMatchObject({ status: 'sent', attempts: 2 });
    });

    it('does not contain the same user twice within the cooldown', async () => {
        const rt = runtime({ DENIAL_WINDOW_MINUTES: '5' });
        const u = victim();
        await deliver(rt, attack(u, 6, 0));
        await deliver(rt, attack(u, 6, 30));
        const incidents = await incidentsOf(rt, u);
        expect(incidents).toHaveLength(2);
        expect(incidents[1]!.containment).toMatchObject({
            status: 'not-contained',
            reason: expect.stringMatching(/^cooldown/),
        });
        expect(revokes(u)).toBe(1);
    });
});
