/**
 * Incidents in Sentinel, end to end: the Event Hub handler, Azurite, the local HTTPS Graph, the real
 * ManagedIdentityCredential pointed at the local managed identity endpoint, and a local HTTPS Logs Ingestion endpoint
 * that behaves like the service (gzip, api-version, 204 only, a bearer token for https://monitor.azure.com).
 */
import { randomUUID } from 'node:crypto';

import { createSignInEventsHandler } from '../../functions/signInEvents';
import { SENTINEL_ROW_COLUMNS } from '../../shared/sentinel/sentinelRow';
import { incidentViews } from '../../shared/notices/incidentView';
import { userIncidents } from '../../shared/userRow/listIncidents';
import type { Containment } from '../../shared/containment/model';
import { releaseUser } from '../../shared/runners/release';
import { runDueWork } from '../../shared/runners/runDueWork';
import { containedIncidents } from '../../shared/userRow/userRow';
import { readUserRow } from '../../shared/userRow/userRowShape';
import { createRuntime, Runtime } from '../../shared/runtime';
import { eventHubContext } from '../support/host';
import { envelope, fraudReport, pushApproved, pushDenied, User, user } from '../support/signInFactory';
import { SocLoop, startSocLoop } from '../support/socLoop';

const silent = { log: () => undefined, warn: () => undefined, error: () => undefined };
const T0 = Date.parse('2026-11-02T09:00:00Z');
const at = (m: number) => new Date(T0 + m * 60_000);
const PUSH_BLOCK_GROUP = '9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d';
const ATTACKER = '185.220.101.34';
const MINUTE = 60_000;

let loop: SocLoop;
let n = 0;
const identity = () => loop.identity;
const graph = () => loop.graph;
const ingestion = () => loop.ingestion;

beforeAll(async () => {
    loop = await startSocLoop({ pushBlockGroupId: PUSH_BLOCK_GROUP });
});

afterAll(() => loop.close());

afterEach(() => {
    expect(loop.ingestion.problems).toEqual([]);
});

/** The settings each runtime was made with, to make another over the same table. */
const envs = new WeakMap<Runtime, Record<string, string | undefined>>();

function runtime(env: Record<string, string> = {}): Runtime {
    const settings = { ...loop.env(`sentinel${process.pid}x${Date.now().toString(36)}x${n++}`), ...env };
    const rt = createRuntime({ env: settings, ...loop.runtimeOptions });
    envs.set(rt, settings);
    return rt;
}

function victim(name = 'Sentinel Victim'): User {
    const u = user(`${name} ${n++} ${randomUUID().slice(0, 6)}`);
    graph().addUser(u.id, { userPrincipalName: u.upn });
    return u;
}

const attack = (u: User, denials = 6) =>
    envelope(Array.from({ length: denials }, (_, i) => pushDenied({ user: u, at: at(i * 0.3), ip: ATTACKER })));

async function deliver(rt: Runtime, messages: unknown[]): Promise<void> {
    const { context } = eventHubContext(messages.length);
    await createSignInEventsHandler(() => rt)(messages, context);
}

const rowsOf = (u: User) => ingestion().rows.filter((r) => r.UserId === u.id);

async function containmentOf(rt: Runtime, u: User): Promise<Containment> {
    const row = await rt.store.read(u.id);
    return containedIncidents(readUserRow(row!.doc))[0]!.containment!;
}

/** The timer, at a wall-clock time of the test's choosing. */
const timer = (rt: Runtime, now: number) => runDueWork({ ...rt.containmentDeps(silent), now: () => now });

describe('incident rows in Sentinel through the Logs Ingestion API', () => {
    it('sends a new incident as one row, gzip-compressed, with a managed identity token for Azure Monitor', async () => {
        const rt = runtime();
        const u = victim();
        const tokensBefore = identity().issued.size;
        await deliver(rt, [attack(u)]);
        const rows = rowsOf(u);
        expect(rows).toHaveLength(1);
        const row = rows[0]!;
        expect(row).toMatchObject({
            Sequence: 1,
            UserId: u.id,
            UserPrincipalName: u.upn,
            Trigger: 'threshold',
            Denials: 6,
            Timeouts: 0,
            FraudReports: 0,
            IPAddresses: [ATTACKER],
            ContainmentStatus: 'contained',
            ContainmentMode: 'live',
            Severity: 'Medium',
            Drill: false,
            ReleaseCommand: `mfa-responder release ${u.id} --reason "..."`,
        });
        expect(row.RowId).toBe(`${String(row.IncidentId)}/contained`);
        expect(String(row.Headline)).toMatch(/contained/);
        expect((row.Steps as Array<{ name: string; status: string }>).map((s) => [s.name, s.status])).toEqual([
            ['check-exclusions', 'done'],
            ['circuit-breaker', 'done'],
            ['revoke-sessions', 'done'],
            ['block-push', 'done'],
        ]);
        // Every column the code sends is declared, and the row carries each of them.
        expect(Object.keys(row).sort()).toEqual(SENTINEL_ROW_COLUMNS.map((c) => c.name).sort());
        const call = ingestion().calls.find((c) => c.status === 204 && c.rows === 1)!;
        expect(call).toMatchObject({
            path: `/dataCollectionRules/${ingestion().ruleId}/streams/${ingestion().stream}`,
            apiVersion: '2023-01-01',
            contentEncoding: 'gzip',
        });
        expect([...identity().issued.values()].slice(tokensBefore)).toContain('https://monitor.azure.com');
        // Visible on the incident: what was accepted.
        const [view] = incidentViews((await userIncidents(rt.store, u.id))!);
        expect(view!.logRows).toMatchObject({ sent: 1, reported: 'contained', failing: null });
        // A redelivered batch and a timer tick send nothing more.
        await deliver(rt, [attack(u)]);
        await timer(rt, Date.now() + 5 * MINUTE);
        expect(rowsOf(u)).toHaveLength(1);
    });

    it('sends each change of the containment status: needs-attention, then released', async () => {
        const rt = runtime();
        const u = victim();
        graph().fail({ method: 'POST', path: new RegExp(`/users/${u.id}/revokeSignInSessions$`), status: 403 });
        await deliver(rt, [attack(u)]);
        expect(rowsOf(u).map((r) => r.ContainmentStatus)).toEqual(['needs-attention']);
        await releaseUser(
            u.id,
            { by: 'soc@contoso.com', reason: 'verified by phone' },
            {
                ...rt.containmentDeps(silent),
                graph: rt.graph(),
            },
        );
        const rows = rowsOf(u);
        expect(rows.map((r) => [r.Sequence, r.ContainmentStatus])).toEqual([
            [1, 'needs-attention'],
            [2, 'released'],
        ]);
        expect(rows[1]).toMatchObject({
            ReleasedBy: 'soc@contoso.com',
            ReleaseReason: 'verified by phone',
            ReleaseCommand: null,
        });
        expect(rows[1]!.ClosedAt).toEqual(expect.any(String));
        expect(new Set(rows.map((r) => r.RowId)).size).toBe(2);
        expect(new Set(rows.map((r) => r.IncidentId)).size).toBe(1);
    });

    it('sends a dry-run incident at once, and a fraud report or an approval as High', async () => {
        const rt = runtime({ CONTAINMENT_MODE: 'dry-run' });
        const u = victim();
        await deliver(rt, [envelope([fraudReport({ user: u, at: at(0), ip: ATTACKER })])]);
        expect(rowsOf(u)).toEqual([
            expect.objectContaining({ ContainmentStatus: 'dry-run', Trigger: 'fraud-report', Severity: 'High' }),
        ]);

        const live = runtime();
        const w = victim();
        await deliver(live, [attack(w)]);
        await deliver(live, [envelope([pushApproved({ user: w, at: at(2.5), ip: ATTACKER })])]);
        const rows = rowsOf(w);
        expect(rows.map((r) => [r.ContainmentStatus, r.Severity, r.Approved])).toEqual([
            ['contained', 'Medium', false],
            ['contained', 'High', true],
        ]);
        expect(rows[1]!.RowId).toBe(`${String(rows[1]!.IncidentId)}/contained+approval`);
        expect(rows[1]).toMatchObject({ ApprovalIPAddress: ATTACKER, ApprovalFromAttackIP: true });
        expect(String(rows[1]!.Headline)).toMatch(/APPROVED/);
        expect(String(rows[1]!.Summary)).toMatch(
            /The user APPROVED a prompt at .* from 185\.220\.101\.34 \(an attacking IP\)/,
        );
    });

    it('never blocks containment on a failed send: the failure is on the incident and the timer retries it', async () => {
        const rt = runtime();
        const u = victim();
        ingestion().fail({ status: 403, code: 'Forbidden', message: 'The principal lacks the role.' });
        await deliver(rt, [attack(u)]);
        // Contained and notified all the same.
        expect(graph().groups.get(PUSH_BLOCK_GROUP)!.members.has(u.id)).toBe(true);
        expect(loop.webhook.received.filter((w) => w.userId === u.id).map((w) => w.kind)).toEqual(['incident']);
        expect(rowsOf(u)).toEqual([]);
        const [view] = incidentViews((await userIncidents(rt.store, u.id))!);
        expect(view!.containment).toBe('contained');
        expect(view!.logRows).toMatchObject({
            sent: 0,
            reported: null,
            failing: { state: 'contained', attempts: 1, status: 403, code: 'Forbidden' },
        });
        const failing = (await containmentOf(rt, u)).logRows!.failing!;
        // Not before its backoff (a minute after the first failure), then at once.
        expect((await timer(rt, failing.nextAttemptAt - 1)).notices).toBe(0);
        expect(rowsOf(u)).toEqual([]);
        expect((await timer(rt, failing.nextAttemptAt)).notices).toBe(1);
        expect(rowsOf(u)).toEqual([expect.objectContaining({ ContainmentStatus: 'contained', Sequence: 1 })]);
        const after = await containmentOf(rt, u);
        expect(after.logRows).toMatchObject({ sequence: 1, reported: 'contained' });
        expect(after.logRows!.failing).toBeUndefined();
    });

    it('comes back no sooner than Retry-After says on 429, and retries a dropped connection', async () => {
        const rt = runtime();
        const u = victim();
        ingestion().fail({ status: 429, code: 'TooManyRequests', retryAfter: 300 });
        const before = Date.now();
        await deliver(rt, [attack(u)]);
        let rows = (await containmentOf(rt, u)).logRows!;
        expect(rows.failing).toMatchObject({ attempts: 1, error: { status: 429, code: 'TooManyRequests' } });
        expect(rows.failing!.nextAttemptAt).toBeGreaterThanOrEqual(before + 300_000);
        ingestion().fail({ status: 'reset' });
        await timer(rt, rows.failing!.nextAttemptAt);
        rows = (await containmentOf(rt, u)).logRows!;
        expect(rows.failing).toMatchObject({ attempts: 2 });
        expect(rows.failing!.error.status).toBeUndefined();
        await timer(rt, rows.failing!.nextAttemptAt);
        expect(rowsOf(u)).toHaveLength(1);
    });

    it('gives a row up NOTICE_RETRY_HOURS after its first failure, so that the incident can be forgotten', async () => {
        const rt = runtime({ NOTICE_RETRY_HOURS: '1' });
        const u = victim();
        ingestion().fail({ status: 500, times: 2 });
        await deliver(rt, [attack(u)]);
        let c = await containmentOf(rt, u);
        const since = c.logRows!.failing!.since!;
        // Still tried within the hour, past MAX_STEP_ATTEMPTS's attempts...
        expect(c.logRows!.failing).toMatchObject({ attempts: 1, since });
        await timer(rt, since + 61 * 60_000);
        c = await containmentOf(rt, u);
        // ...and given up at the first failure past it.
        expect(c.logRows!.failing).toMatchObject({ attempts: 2, error: { status: 500 }, gaveUpAt: expect.any(Number) });
        const pending: string[] = [];
        for await (const listed of rt.store.list({ pendingWork: true })) pending.push(listed.userId);
        expect(pending).not.toContain(u.id);
        expect(rowsOf(u)).toEqual([]);
    });

    it('plans no rows without LOGS_INGESTION_*, and records rows planned before the settings went as skipped', async () => {
        const off = runtime({ LOGS_INGESTION_ENDPOINT: '', LOGS_INGESTION_RULE_ID: '' });
        const u = victim();
        await deliver(off, [attack(u)]);
        expect((await containmentOf(off, u)).logRows).toBeUndefined();

        const rt = runtime({ CONTAINMENT_MODE: 'dry-run' });
        const w = victim();
        ingestion().fail({ status: 503, retryAfter: 1 });
        await deliver(rt, [attack(w)]);
        const gone = createRuntime({
            env: { ...envs.get(rt), LOGS_INGESTION_ENDPOINT: '', LOGS_INGESTION_RULE_ID: '' },
        });
        await runDueWork({ ...gone.containmentDeps(silent), now: () => Date.now() + 10 * MINUTE });
        expect((await containmentOf(gone, w)).logRows).toMatchObject({ skipped: expect.stringMatching(/not set/) });
        expect(rowsOf(w)).toEqual([]);
    });
});
