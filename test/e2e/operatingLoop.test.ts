/**
 * The operating loop under the hostile review's shapes (issue 18): a Graph that answers Retry-After: 0 or asks for
 * minutes, a wave of attacked users in one batch, a webhook that is down for minutes or never answers, a breaker row
 * that cannot be read, a directory that replicates late, an admin the app may not disable. Through the Event Hub
 * handler, the containment timer and `replay --contain`, against Azurite and the local HTTPS Graph.
 */
import { randomUUID } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createSignInEventsHandler } from '../../functions/signInEvents';
import type { Containment } from '../../shared/containment/model';
import { runDueWork } from '../../shared/runners/runDueWork';
import { containedIncidents } from '../../shared/userRow/userRow';
import { readUserRow } from '../../shared/userRow/userRowShape';
import type { Incident } from '../../shared/detection/userState';
import { createRuntime, Runtime } from '../../shared/runtime';
import { AzureTableLimits, startAzureTableLimits } from '../support/azureTableLimits';
import { azuriteTableEndpoint } from '../support/azuriteTables';
import { runCli } from '../support/cliRun';
import { FakeGraph, FakeIdentity, PRIVILEGED_AUTHENTICATION_ADMINISTRATOR } from '../support/fakeGraph';
import { appClientFor, startLocalGraph, stopLocalGraph } from '../support/localGraph';
import { eventHubContext } from '../support/host';
import { envelope, pushDenied, User, user } from '../support/signInFactory';
import { startWebhook } from '../support/webhook';

const silent = { log: () => undefined, warn: () => undefined, error: () => undefined };
const MIN = 60_000;
const T0 = Date.parse('2026-11-02T09:00:00Z');
const at = (m: number) => new Date(T0 + m * MIN);
const GROUP = '6e7f8091-a2b3-44c5-96d7-e8f9a0b1c2d3';

let identity: FakeIdentity;
let graph: FakeGraph;
let webhook: Awaited<ReturnType<typeof startWebhook>>;
let limits: AzureTableLimits;
let n = 0;

beforeAll(async () => {
    ({ identity, graph } = await startLocalGraph({ group: GROUP }));
    webhook = await startWebhook();
    limits = await startAzureTableLimits(azuriteTableEndpoint());
});

afterEach(() => {
    graph.faults.splice(0);
    graph.replicationLagMs = 0;
    graph.membershipHidden.clear();
    webhook.failNext = 0;
});

afterAll(async () => {
    await stopLocalGraph({ identity, graph });
    await webhook.close();
    await limits.close();
});

function env(extra: Record<string, string> = {}): Record<string, string | undefined> {
    return {
        STATE_TABLE_CONNECTION_STRING: process.env.AZURITE_TABLE_CONNECTION_STRING,
        STATE_TABLE_NAME: `ol${process.pid}x${Date.now().toString(36)}x${n++}`,
        AZURE_CLIENT_ID: identity.clientId,
        GRAPH_BASE_URL: graph.baseUrl,
        GRAPH_CALL_TIMEOUT_SECONDS: '2',
        GRAPH_STEP_BUDGET_SECONDS: '8',
        CONTAINMENT_MODE: 'live',
        PUSH_BLOCK_GROUP_ID: GROUP,
        NEVER_CONTAIN: 'breakglass@contoso.com',
        NOTIFY_WEBHOOK_URL: webhook.url,
        ...extra,
    };
}

/** The app runs as an identity holding exactly the roles the grant script grants for these settings. */
function runtime(extra: Record<string, string> = {}, inlineContainmentMs?: number): Runtime {
    const e = env(extra);
    return createRuntime({
        env: { ...e, AZURE_CLIENT_ID: appClientFor(identity, e) },
        ...(inlineContainmentMs !== undefined ? { inlineContainmentMs } : {}),
    });
}

function victim(name = 'Loop Victim', init: Parameters<FakeGraph['addUser']>[1] = {}): User {
    const u = user(`${name} ${n++} ${randomUUID().slice(0, 6)}`);
    graph.addUser(u.id, { userPrincipalName: u.upn, ...init });
    return u;
}

const attack = (u: User, start = 0) =>
    envelope(
        Array.from({ length: 6 }, (_, i) => pushDenied({ user: u, at: at(start + i * 0.3), ip: '185.220.101.34' })),
    );

async function deliver(rt: Runtime, messages: unknown[]): Promise<string> {
    const { context, logs } = eventHubContext(messages.length);
    await createSignInEventsHandler(() => rt)(messages, context);
    return logs.text();
}

async function incidentsOf(rt: Runtime, u: User): Promise<Array<Incident & { containment: Containment }>> {
    const row = await rt.store.read(u.id);
    return row
        ? containedIncidents(readUserRow(row.doc)).map(({ incident, containment }) => ({
              ...incident,
              containment: containment!,
          }))
        : [];
}

const callsTo = (u: User, suffix: string) =>
    graph.calls.filter((c) => c.path.includes(u.id) && c.path.endsWith(suffix));

describe('Retry-After: 0 is no request storm', () => {
    it('replay --contain against a Graph that answers every revoke 429 Retry-After: 0: a handful of calls, at least a second apart', async () => {
        const u = victim('Storm');
        graph.fail({ method: 'POST', path: /\/revokeSignInSessions$/, status: 429, retryAfter: '0', times: 100_000 });
        const file = join(mkdtempSync(join(tmpdir(), 'mfa-storm-')), 'attack.ndjson');
        writeFileSync(file, JSON.stringify(attack(u)));
        const started = Date.now();
        const run = await runCli(['replay', file, '--contain', '--json'], { env: env() });
        expect(run.code).toBe(0);
        const revokes = callsTo(u, '/revokeSignInSessions');
        // The event handler's few seconds, then the timer's run with the step budget (8 s here): never 46,455.
        expect(revokes.length).toBeGreaterThan(1);
        expect(revokes.length).toBeLessThanOrEqual(12);
        const gaps = revokes.slice(1).map((c, i) => c.at - revokes[i]!.at);
        expect(Math.min(...gaps)).toBeGreaterThanOrEqual(950);
        expect(Date.now() - started).toBeLessThan(40_000);
        const [line] = run.stdout.split('\n');
        expect(JSON.parse(line!)).toMatchObject({ userId: u.id, containment: 'retrying' });
    }, 60_000);
});

describe('a long Retry-After is kept with the step', () => {
    it('does not call Graph again before the time Graph gave, whatever the timer backoff says, then contains', async () => {
        const rt = runtime();
        const u = victim('Throttled');
        graph.fail({ method: 'POST', path: /\/revokeSignInSessions$/, status: 429, retryAfter: '300', times: 1 });
        const before = Date.now();
        await deliver(rt, [attack(u)]);
        let [inc] = await incidentsOf(rt, u);
        const step = inc!.containment.steps.find((s) => s.name === 'revoke-sessions')!;
        expect(step).toMatchObject({ status: 'failed', attempts: 1, error: { status: 429 } });
        expect(step.error!.retryAt).toBeGreaterThanOrEqual(before + 300_000);
        expect(inc!.containment.nextAttemptAt).toBeGreaterThanOrEqual(step.error!.retryAt!);
        // The timer's own backoff would come back after a minute: not before what Graph said.
        const calls = callsTo(u, '/revokeSignInSessions').length;
        await runDueWork({ ...rt.containmentDeps(silent), now: () => Date.now() + 2 * MIN });
        expect(callsTo(u, '/revokeSignInSessions').length).toBe(calls);
        await runDueWork({ ...rt.containmentDeps(silent), now: () => inc!.containment.nextAttemptAt! + 1000 });
        [inc] = await incidentsOf(rt, u);
        expect(inc!.containment.status).toBe('contained');
        expect(inc!.containment.steps.find((s) => s.name === 'revoke-sessions')).toMatchObject({ attempts: 2 });
    });
});

describe('a wave in one batch', () => {
    it('keeps Graph requests and runs within GRAPH_CONCURRENCY, and logs one containment line for the batch', async () => {
        const rt = runtime({ MAX_CONTAINMENTS_PER_HOUR: '1000', GRAPH_CONCURRENCY: '3' }, 4000);
        const users = Array.from({ length: 40 }, () => victim('Wave'));
        // A Graph under load: every answer late, so that concurrent calls overlap.
        graph.fail({ path: /./, delayMs: 150, times: 1_000_000 });
        graph.maxInFlight = 0;
        const logs = await deliver(
            rt,
            users.map((u) => attack(u)),
        );
        expect(graph.maxInFlight).toBeGreaterThan(1);
        expect(graph.maxInFlight).toBeLessThanOrEqual(3);
        const lines = logs.split('\n');
        // The batch line, one "attack detected" per incident (the SOC's alert), and one containment line for all.
        expect(lines.filter((l) => l.includes('MFA push attack detected'))).toHaveLength(40);
        const summary = lines.filter((l) => l.includes('Containment: '));
        expect(summary).toHaveLength(1);
        const counts = JSON.parse(summary[0]!.slice(summary[0]!.indexOf('{'))) as Record<string, number>;
        expect(counts).toMatchObject({ event: 'ContainmentBatch', incidents: 40 });
        expect(counts.runs! + counts.deferred!).toBe(40);
        expect(lines.filter((l) => l.includes('Containment of incident'))).toEqual([]);
        expect(lines.length).toBeLessThanOrEqual(40 + 3);
        // What the inline seconds left, the timer finishes, as bounded.
        graph.maxInFlight = 0;
        graph.faults.splice(0);
        await runDueWork(rt.containmentDeps(silent));
        expect(graph.maxInFlight).toBeLessThanOrEqual(3);
        for (const u of users) expect(graph.groups.get(GROUP)!.members.has(u.id)).toBe(true);
    }, 60_000);
});

describe('notices that survive an outage', () => {
    it('a webhook down for eight minutes still gets the notice, once, with the latest state', async () => {
        const rt = runtime({ CONTAINMENT_MODE: 'dry-run' });
        const u = victim('Outage');
        webhook.failNext = 1000;
        const start = Date.now();
        await deliver(rt, [attack(u)]);
        const received = () => webhook.received.filter((w) => w.userId === u.id);
        let tries = 1;
        for (let minute = 1; minute <= 20; minute++) {
            if (minute === 8) webhook.failNext = 0; // the webhook is back
            const result = await runDueWork({ ...rt.containmentDeps(silent), now: () => start + minute * MIN });
            tries += result.notices;
        }
        expect(received()).toHaveLength(1);
        // Backoff (1, 2, 4 minutes after each failure): tried at 0, about 2, 4 and 8 minutes, not every tick; sent as
        // soon as the webhook was back.
        expect(tries).toBe(4);
        const [inc] = await incidentsOf(rt, u);
        expect(inc!.containment.notices).toEqual([expect.objectContaining({ status: 'sent', attempts: 4 })]);
    });

    it('a hanging webhook never holds back a victim whose containment is due: containment first, notices in their own budget', async () => {
        const hanging = await hangingWebhook();
        try {
            // The handler's seconds are spent before any run: 27 containments are due for the timer, and their notices.
            const rt = runtime({ NOTIFY_WEBHOOK_URL: hanging.url, MAX_CONTAINMENTS_PER_HOUR: '100' }, 1);
            const users = Array.from({ length: 27 }, () => victim('Due'));
            await deliver(
                rt,
                users.map((o) => attack(o)),
            );
            const u = users[26]!;
            let [inc] = await incidentsOf(rt, u);
            expect(inc!.containment.status).toBe('pending');
            const due = Date.now();
            const tickStart = Date.now();
            const result = await runDueWork(
                { ...rt.containmentDeps(silent), now: () => Date.now() - tickStart + due },
                { deadline: due + 60_000, noticeBudgetMs: 2000 },
            );
            [inc] = await incidentsOf(rt, u);
            expect(inc!.containment.status).toBe('contained');
            // Every containment of the tick came before any of its notices reached the webhook.
            const lastGraphWrite = Math.max(
                ...graph
                    .writes()
                    .filter((c) => c.at >= tickStart)
                    .map((c) => c.at),
            );
            const firstNotice = Math.min(...hanging.arrivals.filter((t) => t >= tickStart));
            expect(lastGraphWrite).toBeLessThanOrEqual(firstNotice);
            expect(result.runs).toBeGreaterThanOrEqual(1);
            expect(result.notices).toBeGreaterThan(0);
            expect(Date.now() - tickStart).toBeLessThan(15_000);
        } finally {
            await hanging.close();
        }
    }, 60_000);
});

describe('the cooldown', () => {
    it('starts only when a containment took effect: after one that changed nothing, the next attack is contained', async () => {
        const rt = runtime({ STATE_TABLE_CONNECTION_STRING: limits.connectionString, DENIAL_WINDOW_MINUTES: '5' });
        const u = victim('Cooldown');
        limits.refuseUser('tenant', 'AuthorizationPermissionMismatch', 403);
        try {
            await deliver(rt, [attack(u)]);
        } finally {
            limits.refuseUser('tenant', 'AuthorizationPermissionMismatch', 403, 0);
        }
        let incidents = await incidentsOf(rt, u);
        expect(incidents[0]!.containment).toMatchObject({ status: 'needs-attention' });
        expect(callsTo(u, '/revokeSignInSessions')).toEqual([]);
        // A second attack fifteen minutes later.
        await deliver(rt, [attack(u, 15)]);
        incidents = await incidentsOf(rt, u);
        expect(incidents).toHaveLength(2);
        expect(incidents[1]!.containment.status).toBe('contained');
        expect(incidents[1]!.containment.reason ?? '').not.toMatch(/cooldown/);
    });
});

describe('read-back that expects the directory to lag', () => {
    it('a membership that reads back late is verified by the timer, not reported as a failure', async () => {
        const rt = runtime({ REMOVE_NEW_METHODS: 'false' });
        const u = victim('Lagging');
        graph.replicationLagMs = 6000;
        await deliver(rt, [attack(u)]);
        let [inc] = await incidentsOf(rt, u);
        expect(inc!.containment.status).toBe('retrying');
        const step = inc!.containment.steps.find((s) => s.name === 'block-push')!;
        expect(step).toMatchObject({ status: 'failed', error: { code: 'NotYetVerified' } });
        expect(step.unverifiedSince).toBeDefined();
        await new Promise((r) => setTimeout(r, 6500));
        await runDueWork({ ...rt.containmentDeps(silent), now: () => inc!.containment.nextAttemptAt! + 1000 });
        [inc] = await incidentsOf(rt, u);
        expect(inc!.containment.status).toBe('contained');
        expect(inc!.containment.steps.find((s) => s.name === 'block-push')).toMatchObject({
            status: 'done',
            verified: true,
        });
    }, 30_000);

    it('a membership that never reads back needs a person once READBACK_WINDOW_MINUTES is over, and not before', async () => {
        const rt = runtime({ REMOVE_NEW_METHODS: 'false', READBACK_WINDOW_MINUTES: '20', MAX_STEP_ATTEMPTS: '2' });
        const u = victim('Never Seen');
        graph.membershipHidden.add(u.id);
        await deliver(rt, [attack(u)]);
        let [inc] = await incidentsOf(rt, u);
        const since = inc!.containment.steps.find((s) => s.name === 'block-push')!.unverifiedSince!;
        // Tried again and again within the window, past MAX_STEP_ATTEMPTS: still retrying.
        for (const minute of [2, 5, 10]) {
            await runDueWork({ ...rt.containmentDeps(silent), now: () => since + minute * MIN });
            [inc] = await incidentsOf(rt, u);
            expect(inc!.containment.status).toBe('retrying');
        }
        await runDueWork({ ...rt.containmentDeps(silent), now: () => since + 21 * MIN });
        [inc] = await incidentsOf(rt, u);
        expect(inc!.containment.status).toBe('needs-attention');
        expect(inc!.containment.reason).toMatch(/push block could not be confirmed within 20 min/);
    }, 30_000);
});

describe('disabling a user who holds an admin role', () => {
    it('needs attention naming the directory role; with the role granted, the account is disabled', async () => {
        const rt = runtime({ DISABLE_ACCOUNT: 'true' });
        const admin = victim('Admin', { isAdmin: true });
        await deliver(rt, [attack(admin)]);
        let [inc] = await incidentsOf(rt, admin);
        expect(inc!.containment.status).toBe('needs-attention');
        expect(inc!.containment.reason).toMatch(
            /disable-account: Graph refused \(403 Authorization_RequestDenied\).*Privileged Authentication Administrator/,
        );
        expect(graph.users.get(admin.id)!.accountEnabled).toBe(true);

        const spId = randomUUID();
        const clientId = rt.env.AZURE_CLIENT_ID!.toLowerCase();
        graph.servicePrincipals.set(clientId, { id: spId, displayName: 'mfa-responder' });
        graph.directoryRoles.set(spId, [PRIVILEGED_AUTHENTICATION_ADMINISTRATOR]);
        try {
            const other = victim('Admin Two', { isAdmin: true });
            await deliver(rt, [attack(other)]);
            [inc] = await incidentsOf(rt, other);
            expect(inc!.containment.status).toBe('contained');
            expect(graph.users.get(other.id)!.accountEnabled).toBe(false);
        } finally {
            graph.directoryRoles.delete(spId);
            graph.servicePrincipals.delete(clientId);
        }
    });
});

/** A receiver that accepts every connection and never answers. */
async function hangingWebhook(): Promise<{ url: string; arrivals: number[]; close(): Promise<void> }> {
    const arrivals: number[] = [];
    const server: Server = createServer(() => arrivals.push(Date.now()));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
        arrivals,
        close: () =>
            new Promise<void>((r) => {
                server.closeAllConnections();
                server.close(() => r());
            }),
    };
}
