import { HttpRequest, InvocationContext, Timer } from '@azure/functions';

import { createContainmentTimerHandler } from '../../functions/containmentTimer';
import { createHealthHandler } from '../../functions/health';
import { checkpointPrefix } from '../../shared/eventhub/lag';
import type { Finding } from '../../shared/health/check';
import { lagCheck } from '../../shared/health/hubChecks';
import { createHealthContext, runChecks } from '../../shared/health/runChecks';
import { requiredGraphRoles } from '../../shared/graph/permissions';
import { createRuntime, Runtime } from '../../shared/runtime';
import { EventHubsEmulator, startEventHubsEmulator } from '../support/eventHubsEmulator';
import { FakeGraph, FakeIdentity } from '../support/fakeGraph';
import { grantedRoles } from '../support/grantedRoles';
import { startLocalGraph, stopLocalGraph } from '../support/localGraph';
import { writeCheckpoint } from '../support/functionsHost';
import { envelope, signIn, user } from '../support/signInFactory';

/**
 * The app's own view: GET /api/health with the app's managed identity (its Graph roles read from its token), and
 * the timer's lag warning, against the Event Hubs stand-in and Azurite's checkpoint blobs.
 */
const GROUP = '9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d';
let identity: FakeIdentity;
let graph: FakeGraph;
let hub: EventHubsEmulator;
let n = 0;

/** The break-glass account appEnv lists in NEVER_CONTAIN. */
const BREAK_GLASS_ID = '5b7e2f0a-1c3d-4e5f-8a9b-0c1d2e3f4a5b';

beforeAll(async () => {
    ({ identity, graph } = await startLocalGraph());
    graph.addUser(BREAK_GLASS_ID, { userPrincipalName: 'breakglass@contoso.com' });
    hub = await startEventHubsEmulator({ eventHubName: 'health-hub', consumerGroups: ['mfa-responder'] });
});
afterAll(async () => {
    await hub.clientsGone(10_000);
    await hub.close();
    await stopLocalGraph({ identity, graph });
});

function appEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
    return {
        STATE_TABLE_CONNECTION_STRING: process.env.AZURITE_TABLE_CONNECTION_STRING,
        STATE_TABLE_NAME: `health${process.pid}x${Date.now().toString(36)}x${n++}`,
        AzureWebJobsStorage: process.env.AZURITE_STORAGE_CONNECTION_STRING,
        EVENTHUB_CONNECTION_STRING: hub.connectionString,
        EVENTHUB_NAME: hub.eventHubName,
        EVENTHUB_CONSUMER_GROUP: 'mfa-responder',
        GRAPH_BASE_URL: graph.baseUrl,
        // Each test its own client id: managed identity tokens are cached per client id.
        AZURE_CLIENT_ID: identity.addClient(),
        CONTAINMENT_MODE: 'live',
        PUSH_BLOCK_GROUP_ID: GROUP,
        NEVER_CONTAIN: 'breakglass@contoso.com',
        ...extra,
    };
}

/** A responder whose lag check reads this hub, warning past one minute. */
function lagWatchingRuntime(lagHub: EventHubsEmulator) {
    return createRuntime({
        env: appEnv({
            EVENTHUB_CONNECTION_STRING: lagHub.connectionString,
            EVENTHUB_NAME: lagHub.eventHubName,
            LAG_WARNING_MINUTES: '1',
        }),
    });
}

function logsOf() {
    const lines: Array<{ level: string; text: string }> = [];
    const context = new InvocationContext({
        invocationId: 'test',
        functionName: 'containmentTimer',
        logHandler: (level, ...args) => lines.push({ level, text: args.map(String).join(' ') }),
    });
    return { context, lines };
}

const request = () => new HttpRequest({ method: 'GET', url: 'http://localhost/api/health' });

interface HealthBody {
    status: string;
    checkedAt: string;
    findings: Finding[];
    notChecked: Array<{ check: string; why: string }>;
}

/**
 * What GET /api/health's lag check finds at the timer's clock: the endpoint reads the wall clock, these tests move
 * it a day ahead (a checkpoint's age is its blob's Last-Modified, which a test cannot date back).
 */
function lagAt(rt: Runtime, now: () => number): Promise<Finding[]> {
    return runChecks(
        [lagCheck],
        createHealthContext({ env: rt.env, runtime: rt, asApp: true, now, timeoutMs: 10_000 }),
    );
}

/** The per-partition readings behind a lag finding. */
const partitionsOf = (f: Finding | undefined) => (f?.data as { partitions: Array<Record<string, unknown>> }).partitions;

describe('GET /api/health', () => {
    it("answers 200 with the checks the app's identity can make, and lists the ones it cannot", async () => {
        const env = appEnv();
        const rt = createRuntime({ env });
        await rt.ready();
        // What the grant script gives a live deployment with these settings.
        identity.roles = grantedRoles(rt.containment).roles;
        hub.publish(0, envelope([signIn({ user: user('Health A'), at: new Date() })]));
        hub.publish(1, envelope([signIn({ user: user('Health B'), at: new Date() })]));
        const prefix = checkpointPrefix('127.0.0.1', hub.eventHubName, 'mfa-responder');
        for (const p of ['0', '1']) {
            await writeCheckpoint(
                process.env.AZURITE_STORAGE_CONNECTION_STRING!,
                prefix,
                p,
                hub.partitions[Number(p)]!.length - 1,
            );
        }
        const res = await createHealthHandler(() => rt)(request(), logsOf().context);
        const body = res.jsonBody as HealthBody;
        expect(res.status).toBe(200);
        expect(body.status).toBe('ok');
        expect(Math.abs(Date.parse(body.checkedAt) - Date.now())).toBeLessThan(60_000);
        const last = (p: number) => hub.partitions[p]!.length - 1;
        const required = [...requiredGraphRoles(rt.containment).keys()];
        expect(body.findings).toEqual([
            expect.objectContaining({
                check: 'settings',
                status: 'ok',
                detail: 'valid; CONTAINMENT_MODE=live: attacked users are contained',
                data: { containmentMode: 'live' },
            }),
            expect.objectContaining({
                check: 'state-table',
                status: 'ok',
                detail: `${env.STATE_TABLE_NAME} at STATE_TABLE_CONNECTION_STRING is reachable`,
            }),
            expect.objectContaining({
                check: 'graph-permissions',
                status: 'ok',
                detail: `the identity's token carries the ${required.length} app role(s) these settings need`,
                data: { required, effective: required, missing: [], extra: [] },
            }),
            expect.objectContaining({
                check: 'break-glass',
                status: 'ok',
                detail: 'every NEVER_CONTAIN entry (1) is an enabled user',
            }),
            expect.objectContaining({
                check: 'sign-ins-arriving',
                status: 'ok',
                detail: expect.stringMatching(/^last event \d+ s ago \(2 of 2 partition\(s\) hold events\)$/),
                data: { lastEnqueuedAt: expect.any(String), partitions: 2 },
            }),
            expect.objectContaining({
                check: 'lag',
                status: 'ok',
                detail: 'caught up on 2 of 2 partition(s)',
                data: {
                    warningMinutes: 10,
                    partitions: [0, 1].map((p) =>
                        expect.objectContaining({
                            partitionId: String(p),
                            state: 'caught-up',
                            events: 0,
                            checkpoint: last(p),
                            lastSequenceNumber: last(p),
                        }),
                    ),
                },
            }),
            expect.objectContaining({ check: 'incidents', status: 'ok', detail: 'none (0 open incident(s))' }),
            expect.objectContaining({
                check: 'circuit-breaker',
                status: 'ok',
                detail: `closed: 0 of ${rt.containment.maxContainmentsPerHour} containment(s) in the last hour`,
                data: { inLastHour: 0, cap: rt.containment.maxContainmentsPerHour },
            }),
            expect.objectContaining({
                check: 'reports',
                status: 'ok',
                detail: 'no notice or Sentinel row is failing',
            }),
        ]);
        // Nothing to fix: no finding carries a fix.
        expect(body.findings.filter((f) => f.fix !== undefined)).toEqual([]);
        expect(body.notChecked.map((c) => c.check)).toEqual(['push-block', 'diagnostic-setting']);
        expect(body.notChecked.every((c) => /run mfa-responder doctor with your sign-in$/.test(c.why))).toBe(true);
    });

    it('answers 503 when a check fails: a role missing from the identity’s token', async () => {
        const env = appEnv();
        const rt = createRuntime({ env });
        await rt.ready();
        identity.roles = ['User.Read.All'];
        const res = await createHealthHandler(() => rt)(request(), logsOf().context);
        const body = res.jsonBody as HealthBody;
        expect(res.status).toBe(503);
        expect(body.status).toBe('failed');
        // Only that check failed; the others still report what they saw.
        expect(body.findings.map((f) => [f.check, f.status])).toEqual([
            ['settings', 'ok'],
            ['state-table', 'ok'],
            ['graph-permissions', 'failed'],
            ['break-glass', 'ok'],
            ['sign-ins-arriving', 'ok'],
            ['lag', 'ok'],
            ['incidents', 'ok'],
            ['circuit-breaker', 'ok'],
            ['reports', 'ok'],
        ]);
        const required = [...requiredGraphRoles(rt.containment).keys()];
        const missing = required.filter((r) => r !== 'User.Read.All');
        expect(body.findings.find((f) => f.check === 'graph-permissions')).toMatchObject({
            status: 'failed',
            detail: expect.stringMatching(/token lacks 4 app role\(s\).*User\.RevokeSessions\.All/),
            fix: expect.stringMatching(/grant-graph-permissions\.sh/),
            data: { required, effective: ['User.Read.All'], missing, extra: [] },
        });
    });
});

describe('GET /api/health: break-glass accounts', () => {
    const breakGlassOf = async (extra: Record<string, string>) => {
        const rt = createRuntime({ env: appEnv(extra) });
        await rt.ready();
        identity.roles = grantedRoles(rt.containment).roles;
        const res = await createHealthHandler(() => rt)(request(), logsOf().context);
        const body = res.jsonBody as HealthBody;
        return { status: res.status, findings: body.findings.filter((f) => f.check === 'break-glass') };
    };

    it("fails, as the app's identity, on a group id or an unknown UPN in NEVER_CONTAIN, naming the entry's place only", async () => {
        const group = '7c1d2e3f-4a5b-4c6d-9e8f-0a1b2c3d4e5f';
        graph.addGroup(group, 'Break-glass admins');
        const r = await breakGlassOf({ NEVER_CONTAIN: `breakglass@contoso.com, ${group}, nobody@contoso.com` });
        expect(r.status).toBe(503);
        expect(r.findings).toEqual([
            expect.objectContaining({
                status: 'failed',
                detail: expect.stringMatching(
                    /^NEVER_CONTAIN lists entry 2 of 3, which is not a user: a group's id belongs in NEVER_CONTAIN_GROUP_IDS\./,
                ),
            }),
            expect.objectContaining({
                status: 'failed',
                detail: expect.stringMatching(/^NEVER_CONTAIN lists entry 3 of 3: no such user\./),
            }),
        ]);
        // GET /api/health names no user.
        expect(JSON.stringify(r.findings)).not.toMatch(/contoso|7c1d2e3f/);
    });

    it('in dry-run resolves nothing (the identity holds no Graph role) and says so', async () => {
        const before = graph.calls.length;
        const r = await breakGlassOf({
            CONTAINMENT_MODE: 'dry-run',
            NEVER_CONTAIN: '7c1d2e3f-4a5b-4c6d-9e8f-0a1b2c3d4e5f',
        });
        expect(r.findings).toEqual([
            expect.objectContaining({
                status: 'ok',
                detail: expect.stringMatching(
                    /^1 NEVER_CONTAIN entry not resolved: in dry-run the identity holds no Graph role/,
                ),
                data: { entries: 1, resolved: false },
            }),
        ]);
        expect(graph.calls.slice(before).filter((c) => /^\/v1\.0\/(users|groups)\//.test(c.path))).toEqual([]);
    });
});

describe('containment timer: lag warning', () => {
    it('logs one warning line when a partition is further behind than LAG_WARNING_MINUTES', async () => {
        const lagging = await startEventHubsEmulator({ eventHubName: `lag-${n}`, consumerGroups: ['mfa-responder'] });
        try {
            const rt = lagWatchingRuntime(lagging);
            lagging.publish(0, envelope([]));
            await writeCheckpoint(
                process.env.AZURITE_STORAGE_CONNECTION_STRING!,
                checkpointPrefix('127.0.0.1', lagging.eventHubName, 'mfa-responder'),
                '0',
                0,
            );
            // Three events wait behind the checkpoint, and the timer runs three minutes later: nothing moved since.
            for (let i = 0; i < 3; i++) lagging.publish(0, envelope([]));
            const later = () => Date.now() + 3 * 60_000;
            const { context, lines } = logsOf();
            await createContainmentTimerHandler(() => rt, later)({} as Timer, context);
            const warnings = lines.filter((l) => l.level === 'warning');
            expect(warnings).toHaveLength(1);
            expect(warnings[0]!.text).toMatch(
                /^Event Hub lag: partition 0 has 3 event\(s\) waiting, its checkpoint unmoved for 3 min \(LAG_WARNING_MINUTES=1; run mfa-responder doctor\): \[\{"partitionId":"0","state":"behind","events":3,"lagMs":\d+\}\]$/,
            );
        } finally {
            await lagging.clientsGone(10_000);
            await lagging.close();
        }
    });

    it('reads the oldest waiting event through $Default: a backlog drained while checkpointing, and a cold start', async () => {
        const hub = await startEventHubsEmulator({
            eventHubName: `exact-${n}`,
            consumerGroups: ['$Default', 'mfa-responder'],
        });
        try {
            const rt = lagWatchingRuntime(hub);
            const prefix = checkpointPrefix('127.0.0.1', hub.eventHubName, 'mfa-responder');
            const storage = process.env.AZURITE_STORAGE_CONNECTION_STRING!;
            // Partition 0: a flood three hours deep; the function keeps checkpointing (just now) but is far behind.
            for (let i = 0; i < 6; i++) hub.publish(0, envelope([]), Date.now() - 3 * 3_600_000 + i * 1000);
            hub.publish(0, envelope([]));
            await writeCheckpoint(storage, prefix, '0', 1);
            const flood = logsOf();
            await createContainmentTimerHandler(() => rt, Date.now)({} as Timer, flood.context);
            expect(flood.lines.filter((l) => l.level === 'warning').map((l) => l.text)).toEqual([
                expect.stringMatching(
                    /^Event Hub lag: partition 0 has 5 event\(s\) waiting, the oldest for 3 h 0 min \(LAG_WARNING_MINUTES=1;/,
                ),
            ]);
            const [late] = await lagAt(rt, Date.now);
            expect(late).toMatchObject({
                check: 'lag',
                status: 'failed',
                detail: 'behind by more than LAG_WARNING_MINUTES (1) on partition(s) 0: 5 event(s) waiting, the oldest for 3 h 0 min',
            });

            // Partition 1: quiet for a day, then one sign-in 20 s ago that a cold-starting function has not taken yet.
            hub.publish(1, envelope([]));
            await writeCheckpoint(storage, prefix, '1', 0);
            await writeCheckpoint(storage, prefix, '0', 6);
            const dayLater = () => Date.now() + 24 * 3_600_000;
            hub.publish(1, envelope([]), dayLater() - 20_000);
            const cold = logsOf();
            await createContainmentTimerHandler(() => rt, dayLater)({} as Timer, cold.context);
            expect(cold.lines.filter((l) => l.level === 'warning')).toEqual([]);
            // Quiet because the wait was read exactly (20 s), not because nothing was read: partition 0 caught up.
            const [lag] = await lagAt(rt, dayLater);
            expect(lag).toMatchObject({
                check: 'lag',
                status: 'ok',
                detail: '1 event(s) in flight on 1 partition(s), within 1 min',
            });
            expect(partitionsOf(lag)).toEqual([
                expect.objectContaining({ partitionId: '0', state: 'caught-up', events: 0, checkpoint: 6 }),
                expect.objectContaining({
                    partitionId: '1',
                    state: 'behind',
                    events: 1,
                    checkpoint: 0,
                    lagExact: true,
                }),
            ]);
            expect(partitionsOf(lag)[1]!.lagMs).toBeGreaterThanOrEqual(20_000);
            expect(partitionsOf(lag)[1]!.lagMs).toBeLessThan(60_000);
        } finally {
            await hub.clientsGone(10_000);
            await hub.close();
        }
    });

    it('stays quiet about a quiet spell ending: one new event waiting, however old the checkpoint', async () => {
        const hub = await startEventHubsEmulator({ eventHubName: `spell-${n}`, consumerGroups: ['mfa-responder'] });
        try {
            const rt = lagWatchingRuntime(hub);
            const prefix = checkpointPrefix('127.0.0.1', hub.eventHubName, 'mfa-responder');
            hub.publish(0, envelope([]));
            await writeCheckpoint(process.env.AZURITE_STORAGE_CONNECTION_STRING!, prefix, '0', 0);
            // A day later, one sign-in arrives 20 s before the timer runs; a cold-starting function has not taken it.
            const dayLater = () => Date.now() + 24 * 3_600_000;
            hub.publish(0, envelope([]), dayLater() - 20_000);
            const { context, lines } = logsOf();
            await createContainmentTimerHandler(() => rt, dayLater)({} as Timer, context);
            expect(lines.filter((l) => l.level === 'warning')).toEqual([]);
            // The checkpoint is a day old, but the one waiting event was read: it has waited 20 s.
            const [lag] = await lagAt(rt, dayLater);
            expect(lag).toMatchObject({
                check: 'lag',
                status: 'ok',
                detail: '1 event(s) in flight on 1 partition(s), within 1 min',
            });
            const [zero] = partitionsOf(lag);
            expect(zero).toMatchObject({ partitionId: '0', state: 'behind', events: 1, checkpoint: 0, lagExact: true });
            expect(zero!.lagMs).toBeGreaterThanOrEqual(20_000);
            expect(zero!.lagMs).toBeLessThan(60_000);
            expect(Date.parse(zero!.checkpointAt as string)).toBeLessThan(dayLater() - 23 * 3_600_000);
        } finally {
            await hub.clientsGone(10_000);
            await hub.close();
        }
    });

    it('stays quiet when nothing lags or no hub is configured; a hub it cannot reach is said once an hour, not thrown', async () => {
        const quiet = createRuntime({ env: appEnv({ EVENTHUB_CONNECTION_STRING: '' }) });
        const q = logsOf();
        await createContainmentTimerHandler(() => quiet)({} as Timer, q.context);
        expect(q.lines.filter((l) => l.level === 'warning')).toEqual([]);
        // No hub to read is no lag to warn about in the timer; the health check says so.
        expect(await lagAt(quiet, Date.now)).toEqual([
            expect.objectContaining({
                check: 'lag',
                status: 'warning',
                detail: expect.stringMatching(/^no hub to read: neither EventHubConnection__fullyQualifiedNamespace/),
            }),
        ]);

        // A port nobody listens on: the read fails fast, the timer's own work is done all the same.
        const gone = await startEventHubsEmulator({ eventHubName: 'gone' });
        const connectionString = gone.connectionString;
        await gone.close();
        const rt = createRuntime({
            env: appEnv({ EVENTHUB_CONNECTION_STRING: connectionString, EVENTHUB_NAME: 'gone' }),
        });
        let now = Date.now();
        const handler = createContainmentTimerHandler(
            () => rt,
            () => now,
        );
        const first = logsOf();
        await handler({} as Timer, first.context);
        expect(first.lines.filter((l) => l.level === 'warning')).toEqual([
            {
                level: 'warning',
                text: expect.stringMatching(/^Event Hub lag could not be read \(said once an hour\): /),
            },
        ]);
        now += 60_000;
        const second = logsOf();
        await handler({} as Timer, second.context);
        expect(second.lines.filter((l) => l.level === 'warning')).toEqual([]);
        // An hour on, it is said again: the failure is not forgotten.
        now += 60 * 60_000;
        const third = logsOf();
        await handler({} as Timer, third.context);
        expect(third.lines.filter((l) => l.level === 'warning')).toEqual([
            {
                level: 'warning',
                text: expect.stringMatching(/^Event Hub lag could not be read \(said once an hour\): /),
            },
        ]);
        expect(await lagAt(rt, Date.now)).toEqual([
            expect.objectContaining({
                check: 'lag',
                status: 'failed',
                detail: expect.stringMatching(/^cannot reach the hub: /),
            }),
        ]);
    });
});
