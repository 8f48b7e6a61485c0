import { createSignInEventsHandler } from '../../functions/signInEvents';
import { containedIncidents } from '../../shared/userRow/userRow';
import { readUserRow } from '../../shared/userRow/userRowShape';
import { createRuntime } from '../../shared/runtime';
import { EventHubsEmulator, startEventHubsEmulator } from '../support/eventHubsEmulator';
import { runCli } from '../support/cliRun';
import { FakeGraph, FakeIdentity, operatorCredential } from '../support/fakeGraph';
import { startLocalGraph, stopLocalGraph } from '../support/localGraph';
import { LocalHost, startLocalHost } from '../support/functionsHost';
import { startWebhook } from '../support/webhook';
import { User, user } from '../support/signInFactory';

/**
 * `mfa-responder drill` end to end without Azure: the command sends through the official Event Hubs client to the
 * local AMQP stand-in, a stand-in for the Functions host hands what arrives to the function's handler and writes
 * checkpoints to Azurite, the state lives in Azurite's Table service, and a UPN is resolved by the local Graph.
 */
const GROUP = '9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d';
let identity: FakeIdentity;
let graph: FakeGraph;
let hub: EventHubsEmulator;
let n = 0;

beforeAll(async () => {
    ({ identity, graph } = await startLocalGraph({ group: GROUP }));
    hub = await startEventHubsEmulator({ partitionCount: 2, consumerGroups: ['$Default', 'mfa-responder'] });
});
afterAll(async () => {
    await hub.close();
    await stopLocalGraph({ identity, graph });
});

function setting(canary: User) {
    return {
        STATE_TABLE_CONNECTION_STRING: process.env.AZURITE_TABLE_CONNECTION_STRING,
        STATE_TABLE_NAME: `drill${process.pid}x${Date.now().toString(36)}x${n++}`,
        AzureWebJobsStorage: process.env.AZURITE_STORAGE_CONNECTION_STRING,
        EVENTHUB_CONNECTION_STRING: hub.connectionString,
        EVENTHUB_NAME: hub.eventHubName,
        EVENTHUB_CONSUMER_GROUP: 'mfa-responder',
        GRAPH_BASE_URL: graph.baseUrl,
        CONTAINMENT_MODE: 'live',
        PUSH_BLOCK_GROUP_ID: GROUP,
        NEVER_CONTAIN: 'breakglass@contoso.com',
        DRILL_USER_IDS: canary.id,
    };
}

/** The function app: its own runtime (the app's managed identity), behind the local host. */
async function startApp(env: ReturnType<typeof setting>, seen: unknown[] = []): Promise<LocalHost> {
    const rt = createRuntime({ env: { ...env, AZURE_CLIENT_ID: identity.clientId } });
    await rt.ready();
    const handle = createSignInEventsHandler(() => rt);
    return startLocalHost({
        connectionString: hub.connectionString,
        eventHubName: hub.eventHubName,
        consumerGroup: 'mfa-responder',
        fullyQualifiedNamespace: '127.0.0.1',
        storageConnectionString: process.env.AZURITE_STORAGE_CONNECTION_STRING!,
        handler: async (messages, context) => {
            seen.push(...messages);
            await handle(messages, context);
        },
        from: 'latest',
    });
}

/** `mfa-responder drill …`, signed in as a person (`az login`) where Graph is needed. */
const drill = (env: Record<string, string | undefined>, args: string[]) =>
    runCli(['drill', ...args], { env, credential: operatorCredential(identity) });

describe('mfa-responder drill', () => {
    it('sends a push-bombing episode through the hub for a canary named by UPN, and times the drill incident', async () => {
        const canary = user(`Drill Canary ${n}`);
        graph.addUser(canary.id, { userPrincipalName: canary.upn });
        const hook = await startWebhook();
        // A breaker with room for one containment: a drill must not take it.
        const env = { ...setting(canary), NOTIFY_WEBHOOK_URL: hook.url, MAX_CONTAINMENTS_PER_HOUR: '1' };
        const host = await startApp(env);
        try {
            const before = hub.partitions.flat().length;
            const r = await drill(env, ['--user', canary.upn, '--timeout', '30']);
            const out = () => r.stdout;
            expect({ code: r.code, err: r.stderr }).toEqual({ code: 0, err: '' });
            expect(out()).toMatch(
                new RegExp(`Sent drill drill-\\d{8}T\\d{6}Z-[0-9a-f]{8}: 6 declined pushes for ${canary.id}`),
            );
            expect(out()).toMatch(/Drill incident \S+-threshold-\S+ \(containment dry-run\)/);
            expect(out()).toMatch(/recorded \d+\.\d s after sending/);
            expect(out()).toMatch(/containment planned \d+\.\d s after sending/);
            // Six records, one message of diagnostic-setting shape, on one partition (the drill id is the key).
            const sent = hub.partitions.flat().slice(before);
            expect(sent).toHaveLength(1);
            const body = JSON.parse(Buffer.from((sent[0]!.message.body as { content: Buffer }).content).toString()) as {
                records: Array<{ category: string; resultType: string; properties: { drillId: string } }>;
            };
            expect(body.records).toHaveLength(6);
            expect(body.records.every((r) => r.category === 'SignInLogs' && r.resultType === '500121')).toBe(true);
            // The drill touched nobody: no Graph write, the incident is a dry-run drill.
            expect(graph.writes()).toEqual([]);
            const rt = createRuntime({ env });
            const [found] = containedIncidents(readUserRow((await rt.store.read(canary.id))!.doc));
            expect(found!.incident).toMatchObject({ drill: true, drillId: body.records[0]!.properties.drillId });
            expect(found!.containment).toMatchObject({ status: 'dry-run', mode: 'dry-run' });
            // Notified as a drill, outside the circuit breaker.
            expect(out()).toMatch(/notice to the SOC: sent/);
            expect(hook.received).toEqual([
                expect.objectContaining({ drill: true, title: expect.stringMatching(/^DRILL — /) }),
            ]);
            expect(await rt.breaker.peek(Date.now())).toBe(0);

            // A second drill within the window would join the open incident: refused, with the time to wait for.
            const again = await drill(env, ['--user', canary.id]);
            expect(again.code).toBe(75);
            expect(again.stderr).toMatch(/open until .* a drill now would join it/);
        } finally {
            await host.close();
            await hook.close();
        }
    });

    it('--json prints one object: the times and the incident as every view shows it', async () => {
        const canary = user(`Drill Canary json ${n}`);
        const env = setting(canary);
        const host = await startApp(env);
        try {
            const r = await drill(env, ['--user', canary.id, '--json', '--denials', '7']);
            expect(r.code).toBe(0);
            const result = JSON.parse(r.stdout) as Record<string, unknown> & { incident: Record<string, unknown> };
            expect(result).toMatchObject({
                type: 'drill',
                userId: canary.id,
                denials: 7,
                outcome: 'opened',
                recordedAfterMs: expect.any(Number),
                plannedAfterMs: expect.any(Number),
                seenAfterMs: expect.any(Number),
            });
            expect(result.incident).toMatchObject({
                drill: true,
                denials: 7,
                containment: 'dry-run',
                apps: ['MFA Fatigue Responder drill'],
            });
        } finally {
            await host.close();
        }
    });

    it('refuses anyone who is not a canary, by id or by UPN, and sends nothing', async () => {
        const canary = user(`Drill Canary ${n}`);
        const someone = user(`Real Person ${n}`);
        graph.addUser(someone.id, { userPrincipalName: someone.upn });
        const env = setting(canary);
        const before = hub.partitions.flat().length;
        for (const who of [someone.id, someone.upn]) {
            const r = await drill(env, ['--user', who, '--no-wait']);
            expect(r.code).toBe(2);
            expect(r.stderr).toMatch(/refused: .* is not a canary.*DRILL_USER_IDS/);
        }
        const unknown = await drill(env, ['--user', 'nobody@contoso.com']);
        expect(unknown.code).toBe(2);
        expect(unknown.stderr).toMatch(/no user with UPN nobody@contoso.com/);
        expect(hub.partitions.flat().length).toBe(before);
    });

    it('--no-wait sends and exits; without a responder reading the hub, --timeout ends the wait and says what to check', async () => {
        const canary = user(`Drill Canary ${n}`);
        const env = setting(canary);
        const noWait = await drill(env, ['--user', canary.id, '--no-wait', '--json']);
        expect(noWait.code).toBe(0);
        expect(JSON.parse(noWait.stdout)).toMatchObject({
            type: 'drill',
            userId: canary.id,
            denials: 6,
            waited: false,
        });

        // A long episode (80 messages, more than one 1 MiB batch holds) goes out in order, on one partition.
        const big = user(`Drill Canary big ${n}`);
        const before = hub.partitions.map((p) => p.length);
        const long = await drill(setting(big), ['--user', big.id, '--no-wait', '--denials', '800']);
        expect(long.code).toBe(0);
        const added = hub.partitions.map((p, i) => p.slice(before[i]));
        expect(added.filter((p) => p.length > 0)).toHaveLength(1);
        const messages = added.find((p) => p.length > 0)!;
        expect(messages).toHaveLength(80);
        const times = messages.flatMap((m) =>
            (
                JSON.parse(Buffer.from((m.message.body as { content: Buffer }).content).toString()) as {
                    records: Array<{ time: string }>;
                }
            ).records.map((r) => Date.parse(r.time)),
        );
        expect(times).toEqual([...times].sort((a, b) => a - b));

        const other = user(`Drill Canary ${n++}`);
        const waiting = await drill({ ...setting(other), DENIAL_THRESHOLD: '3' }, [
            '--user',
            other.id,
            '--timeout',
            '2',
            '--denials',
            '3',
        ]);
        expect(waiting.code).toBe(1);
        expect(waiting.stderr).toMatch(/no drill incident for .* within 2 s.*mfa-responder doctor.*DRILL_USER_IDS/);
    });

    it('touches nobody when the app does not list the canary (its DRILL_USER_IDS differs from the operator’s)', async () => {
        const canary = user(`Drill Canary ${n}`);
        graph.addUser(canary.id, { userPrincipalName: canary.upn });
        const env = setting(canary);
        // The app's settings differ from the operator's: the app lists nobody.
        const seen: unknown[] = [];
        const host = await startApp({ ...env, DRILL_USER_IDS: '' }, seen);
        try {
            const r = await drill(env, ['--user', canary.id, '--timeout', '5']);
            expect(r.code).toBe(1);
            expect(r.stderr).toMatch(/no drill incident for .* within 5 s.*DRILL_USER_IDS lists .*drill-refused/);
            // The app read the drill's message and refused it: no state, no containment, no Graph call.
            expect(seen.length).toBeGreaterThan(0);
            expect(await createRuntime({ env }).store.read(canary.id)).toBeUndefined();
            expect(graph.calls.filter((c) => c.path.includes(canary.id))).toEqual([]);
        } finally {
            await host.close();
        }
    });

    it('says which role is missing when the hub refuses the sender', async () => {
        const canary = user('Drill Canary refused');
        const env = setting(canary);
        hub.refuseTokens = true;
        try {
            const r = await drill(env, ['--user', canary.id, '--no-wait']);
            expect(r.code).toBe(1);
            expect(r.stderr).toMatch(
                /the hub did not take the drill \(.*\)\. Your sign-in needs Azure Event Hubs Data Sender on the hub/,
            );
        } finally {
            hub.refuseTokens = false;
        }
    });

    it('rejects settings and options it cannot use, naming them', async () => {
        const canary = user('Drill Canary options');
        const env = setting(canary);
        const bad = await drill(
            {
                ...env,
                EVENTHUB_CONNECTION_STRING:
                    'Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=secret',
            },
            ['--user', canary.id],
        );
        expect(bad.code).toBe(78);
        expect(bad.stderr).toMatch(/EVENTHUB_CONNECTION_STRING .*emulator/);
        expect(bad.stderr).not.toMatch(/secret/);
        const few = await drill(env, ['--user', canary.id, '--denials', '2']);
        expect(few.code).toBe(2);
        expect(few.stderr).toMatch(/--denials must be .* DENIAL_THRESHOLD \(5\)/);
        const none = await drill({ ...env, EVENTHUB_CONNECTION_STRING: undefined }, ['--user', canary.id]);
        expect(none.code).toBe(78);
        expect(none.stderr).toMatch(/EventHubConnection__fullyQualifiedNamespace/);
    });
});
