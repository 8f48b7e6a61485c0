import { HttpRequest, InvocationContext, Timer } from '@azure/functions';

import { createContainmentTimerHandler } from '../../functions/containmentTimer';
import { createHealthHandler } from '../../functions/health';
import { checkpointPrefix } from '../../shared/eventhub/lag';
import { requiredGraphRoles } from '../../shared/graph/permissions';
import { createRuntime } from '../../shared/runtime';
import { EventHubsEmulator, startEventHubsEmulator } from '../support/eventHubsEmulator';
import { FakeGraph, FakeIdentity } from '../support/fakeGraph';
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

beforeAll(async () => {
    ({ identity, graph } = await startLocalGraph());
    hub = await startEventHubsEmulator({ eventHubName: 'health-hub', consumerGroups: ['mfa-responder'] });
});
afterAll(async () => {
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

describe('GET /api/health', () => {
    it("answers 200 with the checks the app's identity can make, and lists the ones it cannot", async () => {
        const env = appEnv();
        const rt = createRuntime({ env });
        await rt.ready();
        identity.roles = [...requiredGraphRoles(rt.containment).keys()];
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
        const body = res.jsonBody as {
            status: string;
            findings: Array<{ check: string; status: string; detail: string }>;
            notChecked: Array<{ check: string; why: string }>;
        };
        expect(body.findings.map((f) => [f.check, f.status])).toEqual([
            ['settings', 'ok'],
            ['state-table', 'ok'],
            ['graph-permissions', 'ok'],
            ['sign-ins-arriving', 'ok'],
            ['lag', 'ok'],
            ['incidents', 'ok'],
            ['circuit-breaker', 'ok'],
            ['reports', 'ok'],
        ]);
        expect(res.status).toBe(200);
        expect(body.status).toBe('ok');
        expect(body.findings[2]!.detail).toMatch(/the identity's token carries the 5 app role\(s\)/);
        expect(body.notChecked.map((c) => c.check)).toEqual(['push-block', 'diagnostic-setting']);
        expect(body.notChecked[0]!.why).toMatch(/mfa-responder doctor/);
    });

    it('answers 503 when a check fails: a role missing from the identity’s token', async () => {
        const env = appEnv();
        const rt = createRuntime({ env });
        await rt.ready();
        identity.roles = ['User.Read.All'];
        const res = await createHealthHandler(() => rt)(request(), logsOf().context);
        const body = res.jsonBody as {
            status: string;
            findings: Array<{ check: string; status: string; detail: string }>;
        };
        expect(res.status).toBe(503);
        expect(body.status).toBe('failed');
        expect(body.findings.find((f) => f.check === 'graph-permissions')).toMatchObject({
            status: 'failed',
            detail: expect.stringMatching(/token lacks 4 app role\(s\).*User\.RevokeSessions\.All/),
        });
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

            // Partition 1: quiet for a day, then one sign-in 20 s ago that a cold-starting function has not taken yet.
            hub.publish(1, envelope([]));
            await writeCheckpoint(storage, prefix, '1', 0);
            await writeCheckpoint(storage, prefix, '0', 6);
            const dayLater = () => Date.now() + 24 * 3_600_000;
            hub.publish(1, envelope([]), dayLater() - 20_000);
            const cold = logsOf();
            await createContainmentTimerHandler(() => rt, dayLater)({} as Timer, cold.context);
            expect(cold.lines.filter((l) => l.level === 'warning')).toEqual([]);
        } finally {
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
        } finally {
            await hub.close();
        }
    });

    it('stays quiet when nothing lags or no hub is configured; a hub it cannot reach is said once an hour, not thrown', async () => {
        const quiet = createRuntime({ env: appEnv({ EVENTHUB_CONNECTION_STRING: '' }) });
        const q = logsOf();
        await createContainmentTimerHandler(() => quiet)({} as Timer, q.context);
        expect(q.lines.filter((l) => l.level === 'warning')).toEqual([]);

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
    });
});
