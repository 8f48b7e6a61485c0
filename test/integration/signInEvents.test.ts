import { createSignInEventsHandler } from '../../functions/signInEvents';
import { readUserRow } from '../../shared/userRow/userRowShape';
import type { UserState } from '../../shared/detection/userState';
import { StateStoreError } from '../../shared/errors';
import { createRuntime, Runtime } from '../../shared/runtime';
import { RequestCounter } from '../support/azuriteTables';
import { eventHubContext } from '../support/host';
import {
    envelope,
    mfaFromToken,
    pushApproved,
    pushDenied,
    pushTimeout,
    User,
    user,
    wrongPassword,
} from '../support/signInFactory';
import { shuffle } from '../support/events';

const T0 = Date.parse('2026-11-02T09:00:00Z');
const at = (minute: number) => new Date(T0 + minute * 60_000);
let tables = 0;

function runtimeFor(tableName: string, counter?: RequestCounter): Runtime {
    return createRuntime({
        env: {
            STATE_TABLE_CONNECTION_STRING: process.env.AZURITE_TABLE_CONNECTION_STRING,
            STATE_TABLE_NAME: tableName,
        },
        ...(counter
            ? { tableClientOptions: { additionalPolicies: [{ policy: counter.policy, position: 'perCall' as const }] } }
            : {}),
    });
}

function newTable(): string {
    return `it${process.pid}x${Date.now().toString(36)}x${tables++}`;
}

async function stateOf(rt: Runtime, u: User): Promise<UserState | undefined> {
    const row = await rt.store.read(u.id);
    return row && readUserRow(row.doc).state;
}

describe('signInEvents handler (host-shaped input, Azurite)', () => {
    const victim = user('Megan Bowen');
    const attackBatch = () => {
        const records = Array.from({ length: 7 }, (_, i) =>
            pushDenied({
                user: victim,
                at: at(i * 0.5),
                ip: i % 2 ? '185.220.101.34' : '185.220.101.47',
                id: `a1a1a1a1-0000-4000-8000-00000000000${i}`,
            }),
        );
        return [
            envelope(records.slice(0, 4)),
            JSON.stringify(envelope(records.slice(4))),
            Buffer.from(JSON.stringify(mfaFromToken({ user: victim, at: at(1) }))),
        ];
    };

    it('detects an attack and persists one incident with its evidence', async () => {
        const rt = runtimeFor(newTable());
        const handler = createSignInEventsHandler(() => rt);
        const messages = attackBatch();
        const { context, logs } = eventHubContext(messages.length);
        await handler(messages, context);

        const state = await stateOf(rt, victim);
        expect(state?.incidents).toHaveLength(1);
        expect(state?.incidents[0]).toMatchObject({
            userId: victim.id,
            userPrincipalName: victim.upn,
            trigger: 'threshold',
            denials: 7,
            firstSeen: T0,
            lastSeen: T0 + 3 * 60_000,
            ipAddresses: ['185.220.101.47', '185.220.101.34'],
            apps: ['OfficeHome'],
        });
        expect(state?.incidents[0]?.evidence).toHaveLength(7);
        expect(logs.text()).toMatch(
            /warning: MFA push attack detected: .*"userPrincipalName":"megan.bowen@contoso.com".*"trigger":"threshold"/,
        );
    });

    it('changes nothing when the same batch is delivered again', async () => {
        const counter = new RequestCounter();
        const rt = runtimeFor(newTable(), counter);
        const handler = createSignInEventsHandler(() => rt);
        const batch = attackBatch();
        await handler(batch, eventHubContext(3).context);
        const before = await rt.store.read(victim.id);
        counter.reset();

        const { context, logs } = eventHubContext(3);
        await handler(structuredClone(batch), context);
        const requestsForRedelivery = counter.byUser.get(victim.id);
        const after = await rt.store.read(victim.id);
        expect(after?.etag).toBe(before?.etag);
        expect(after?.doc).toEqual(before?.doc);
        expect(requestsForRedelivery).toBe(1); // the read; no write
        expect(logs.text()).not.toMatch(/attack detected/);
    });

    it('costs at most 2 Table round trips per affected user per batch (2 more with a new incident), none for other sign-ins', async () => {
        const counter = new RequestCounter();
        const rt = runtimeFor(newTable(), counter);
        await rt.ready();
        const handler = createSignInEventsHandler(() => rt);
        const noisy = user('Noisy Neighbour');
        const quiet = user('Quiet Person');
        const records = [
            ...Array.from({ length: 30 }, (_, i) => pushDenied({ user: victim, at: at(i * 0.2) })),
            ...Array.from({ length: 10 }, (_, i) => pushTimeout({ user: noisy, at: at(i * 0.2) })),
            ...Array.from({ length: 25 }, (_, i) => mfaFromToken({ user: quiet, at: at(i) })),
            ...Array.from({ length: 5 }, (_, i) => wrongPassword({ user: quiet, at: at(i) })),
        ];
        counter.reset();
        await handler(
            shuffle(records, 7).map((r) => envelope([r])),
            eventHubContext(records.length).context,
        );
        // Both open an incident (ten unanswered prompts weigh five declines): each is stored marked unannounced, and
        // the mark is cleared once it was logged.
        expect(counter.byUser.get(victim.id)).toBe(4);
        expect(counter.byUser.get(noisy.id)).toBe(4);
        expect(counter.byUser.get(quiet.id)).toBeUndefined();
        // Campaign detection counts the prompts by source too (each user's own address and /24 here): one write of
        // this writer's shard and one read of the source's rows, per source.
        const sources = [...counter.byUser.keys()].filter((k) => k.startsWith('campaign-'));
        expect(sources).toHaveLength(4);
        for (const source of sources) expect(counter.byUser.get(source)).toBe(2);
        expect(counter.total).toBe(8 + 2 * sources.length);
        // A redelivery costs one read per user: nothing changed, nothing to announce, no source row touched.
        counter.reset();
        await handler(
            shuffle(records, 7).map((r) => envelope([r])),
            eventHubContext(records.length).context,
        );
        expect(counter.total).toBe(2);
    });

    // Two minutes: every record is a message of its own, and every user's address a source of its own (campaign
    // detection writes and reads each source once per invocation), on a shared two-core machine.
    it('gives exact counts and one incident per attacked user under 16 concurrent invocations over 200 users', async () => {
        const table = newTable();
        await runtimeFor(table).ready();
        const users = Array.from({ length: 200 }, (_, i) => user(`Load User ${i}`));
        const attacked = new Set(users.filter((_, i) => i % 5 === 0).map((u) => u.id));
        const records: unknown[] = [];
        const expected = new Map<string, { denials: number; timeouts: number }>();
        for (const [i, u] of users.entries()) {
            const isAttacked = attacked.has(u.id);
            const denials = isAttacked ? 6 + (i % 7) : i % 3;
            const timeouts = isAttacked ? i % 3 : i % 2;
            for (let d = 0; d < denials; d++)
                // Each user from an address of their own (its own /24): this is many users' own attacks, not a campaign.
                records.push(pushDenied({ user: u, at: at(d * 0.4), ip: `${80 + (i % 40)}.${i}.113.7` }));
            for (let t = 0; t < timeouts; t++) records.push(pushTimeout({ user: u, at: at(0.1 + t * 0.4) }));
            records.push(pushApproved({ user: u, at: at(-30) }), mfaFromToken({ user: u, at: at(1) }));
            expected.set(u.id, { denials, timeouts });
        }
        // Every record twice (redelivery), shuffled, dealt round-robin into 16 invocations of 16 runtimes.
        const all = shuffle([...records, ...records], 42);
        const batches: unknown[][] = Array.from({ length: 16 }, () => []);
        all.forEach((r, i) => batches[i % 16]!.push(envelope([r])));
        const runtimes = batches.map(() => runtimeFor(table));
        await Promise.all(
            batches.map((b, i) =>
                createSignInEventsHandler(() => runtimes[i]!)(b, eventHubContext(b.length, String(i)).context),
            ),
        );

        const rt = runtimeFor(table);
        for (const u of users) {
            const state = await stateOf(rt, u);
            const want = expected.get(u.id)!;
            const declined = state!.prompts.filter((a) => a.kind === 'push-denied').length;
            const unanswered = state!.prompts.filter((a) => a.kind === 'push-timeout').length;
            expect({ user: u.upn, declined, unanswered }).toEqual({
                user: u.upn,
                declined: want.denials,
                unanswered: want.timeouts,
            });
            if (attacked.has(u.id)) {
                expect({ user: u.upn, incidents: state!.incidents.length }).toEqual({ user: u.upn, incidents: 1 });
                expect(state!.incidents[0]).toMatchObject({ denials: want.denials, timeouts: want.timeouts });
            } else {
                expect({ user: u.upn, incidents: state!.incidents.length }).toEqual({ user: u.upn, incidents: 0 });
            }
        }
    }, 120_000);

    it('never throws for malformed records, and logs a sample per reason', async () => {
        const rt = runtimeFor(newTable());
        const handler = createSignInEventsHandler(() => rt);
        const { context, logs } = eventHubContext(3);
        await handler(
            [
                '{"records": [',
                {
                    records: [
                        {
                            category: 'SignInLogs',
                            resultType: '500121',
                            properties: { userId: '../../admin', status: { errorCode: 500121 } },
                        },
                    ],
                },
                42,
            ],
            context,
        );
        expect(logs.text()).toMatch(/"rejected":3/);
        expect(logs.text()).toMatch(/Rejected 1 sign-in record\(s\) as invalid-user-id; e\.g\. userId is not a GUID/);
    });

    it('throws when storage is unreachable, so that the retry policy replays the batch', async () => {
        const rt = createRuntime({
            env: {
                STATE_TABLE_CONNECTION_STRING:
                    'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;',
            },
            tableClientOptions: { retryOptions: { maxRetries: 0 } },
        });
        rt.ready = async () => undefined;
        const handler = createSignInEventsHandler(() => rt);
        const { context, logs } = eventHubContext(1);
        await expect(handler(attackBatch(), context)).rejects.toBeInstanceOf(StateStoreError);
        expect(logs.text()).toMatch(/not fully stored.*the host retries it/);
    });
});
