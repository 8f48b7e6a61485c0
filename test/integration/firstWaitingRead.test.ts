/**
 * The read of the first waiting event (how long the oldest unprocessed event has waited) against the local Event Hubs
 * endpoint: it reads the enqueued time of exactly the first event after each checkpoint, leaves out a partition it
 * cannot read, and a failure before any read rejects, for `exactLag` to fall back on the checkpoint's age.
 *
 * It is also bounded by its timeout, whatever the peer does:
 * the containment timer awaits it (functions/containmentTimer.ts `await lag`) outside any `withTimeout`, and the
 * docs promise "each read bounded to 10 s". A connection that goes silent once the `$Default` receiver attaches (a
 * half-open TCP connection, a gateway that stops answering) is the case here: an AMQP close waits for the peer's
 * answer up to rhea-promise's operation timeout (60 s by default), link close first, then connection close.
 */
import { createConnection, createServer, Server, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

import type { EventHubConfig } from '../../shared/settings/eventHub';
import { exactLag, readFirstWaiting } from '../../shared/eventhub/hubReadings';
import { hubLag } from '../../shared/eventhub/lag';
import { EventHubsEmulator, startEventHubsEmulator } from '../support/eventHubsEmulator';

const TIMEOUT_MS = 1_000;
const MIN = 60_000;
const T = Date.parse('2026-11-27T12:00:00Z');
const notUsed = () => {
    throw new Error('not used with a connection string');
};

function hubConfig(connectionString: string, eventHubName: string, consumerGroup = 'mfa-responder'): EventHubConfig {
    return {
        kind: 'connectionString',
        connectionString,
        fullyQualifiedNamespace: '127.0.0.1',
        eventHubName,
        consumerGroup,
    };
}

/** Times a promise: how long it took to settle, and its outcome (never swallowed). */
async function timed<T>(p: Promise<T>): Promise<{ ms: number; value: T }> {
    const started = Date.now();
    const value = await p;
    return { ms: Date.now() - started, value };
}

/** A TCP proxy to the emulator that stops forwarding anything, both ways, once a `$Default` receiver attaches. */
function silentAfterPeekAttach(target: number): { server: Server; close(): Promise<void> } {
    const sockets: Socket[] = [];
    const server = createServer((client) => {
        const upstream = createConnection(target, '127.0.0.1');
        sockets.push(client, upstream);
        let silent = false;
        client.on('data', (d) => {
            if (d.includes('ConsumerGroups/$Default')) silent = true;
            if (!silent) upstream.write(d);
        });
        upstream.on('data', (d) => {
            if (!silent) client.write(d);
        });
        client.on('error', () => undefined);
        upstream.on('error', () => undefined);
    });
    return {
        server,
        close: async () => {
            for (const s of sockets) s.destroy();
            await new Promise((r) => server.close(r));
        },
    };
}

describe('readFirstWaiting against the local Event Hubs endpoint', () => {
    let hub: EventHubsEmulator;
    let config: EventHubConfig;
    beforeAll(async () => {
        hub = await startEventHubsEmulator({ partitionCount: 3, consumerGroups: ['$Default', 'mfa-responder'] });
        // Partition 0: sequence numbers 0, 1, 2 enqueued 30, 20 and 10 minutes before T.
        for (const m of [30, 20, 10]) hub.publish(0, { m }, T - m * MIN);
        // Partition 1: 0 and 1, enqueued 50 and 40 minutes before T. Partition 2 stays empty.
        for (const m of [50, 40]) hub.publish(1, { m }, T - m * MIN);
        config = hubConfig(hub.connectionString, hub.eventHubName);
    });
    afterAll(() => hub.close());
    afterEach(async () => {
        hub.refuseTokens = false;
        // The read answers at once and closes its links and connection in the background: they do close.
        await hub.clientsGone(10_000);
        expect(hub.openConnections).toBe(0);
    });

    it('reads the enqueued time of the first event after each checkpoint, neither the first nor the last', async () => {
        const { ms, value } = await timed(
            readFirstWaiting(
                config,
                [
                    { partitionId: '0', after: 0 },
                    { partitionId: '1', after: -1 },
                ],
                { credential: notUsed, timeoutMs: 5 * TIMEOUT_MS },
            ),
        );
        expect(value).toEqual(
            new Map([
                ['0', T - 20 * MIN],
                ['1', T - 50 * MIN],
            ]),
        );
        // Both partitions answered: it did not wait for its deadline.
        expect(ms).toBeLessThan(5 * TIMEOUT_MS);
    });

    it('leaves out a partition with nothing after its checkpoint, and one the hub does not have, by its deadline', async () => {
        const { ms, value } = await timed(
            readFirstWaiting(
                config,
                [
                    { partitionId: '0', after: 1 },
                    { partitionId: '1', after: 1 },
                    { partitionId: '2', after: -1 },
                    { partitionId: '7', after: 0 },
                ],
                { credential: notUsed, timeoutMs: TIMEOUT_MS },
            ),
        );
        expect(value).toEqual(new Map([['0', T - 10 * MIN]]));
        expect(ms).toBeLessThan(3 * TIMEOUT_MS);
    });

    it('answers nothing, without throwing, when the hub refuses the identity', async () => {
        hub.refuseTokens = true;
        const { ms, value } = await timed(
            readFirstWaiting(config, [{ partitionId: '0', after: 0 }], { credential: notUsed, timeoutMs: TIMEOUT_MS }),
        );
        expect(value).toEqual(new Map());
        expect(ms).toBeLessThan(3 * TIMEOUT_MS);
    });

    it('reads nothing when the responder itself reads $Default (a second reader there would disturb it)', async () => {
        const own = hubConfig(hub.connectionString, hub.eventHubName, '$default');
        await expect(
            readFirstWaiting(own, [{ partitionId: '0', after: 0 }], { credential: notUsed, timeoutMs: TIMEOUT_MS }),
        ).resolves.toEqual(new Map());
    });

    it('rejects when it cannot even build its client, and exactLag then keeps the checkpoint’s age', async () => {
        const identity: EventHubConfig = {
            kind: 'identity',
            fullyQualifiedNamespace: '127.0.0.1',
            eventHubName: hub.eventHubName,
            consumerGroup: 'mfa-responder',
        };
        const noCredential = () => {
            throw new Error('no managed identity here');
        };
        await expect(
            readFirstWaiting(identity, [{ partitionId: '0', after: 0 }], {
                credential: noCredential,
                timeoutMs: TIMEOUT_MS,
            }),
        ).rejects.toThrow('no managed identity here');

        // Partition 0: three events, the checkpoint at sequence number 0 written 25 minutes before T.
        const partition = {
            partitionId: '0',
            beginningSequenceNumber: 0,
            lastEnqueuedSequenceNumber: 2,
            lastEnqueuedAt: T - 10 * MIN,
            isEmpty: false,
        };
        const checkpoints = new Map([['0', { partitionId: '0', sequenceNumber: 0, writtenAt: T - 25 * MIN }]]);
        const lag = hubLag([partition], checkpoints, T);
        expect(lag[0]).toMatchObject({ state: 'behind', events: 2, lagMs: 25 * MIN });
        expect(lag[0]!.lagExact).toBeUndefined();
        await expect(
            exactLag(identity, lag, { credential: noCredential, timeoutMs: TIMEOUT_MS, now: () => T }),
        ).resolves.toEqual(lag);
        // The same lag through the hub that can be read: exact, from the first waiting event (20 minutes).
        await expect(
            exactLag(config, lag, { credential: notUsed, timeoutMs: TIMEOUT_MS, now: () => T }),
        ).resolves.toEqual([{ ...lag[0], lagMs: 20 * MIN, lagExact: true }]);
    });
});

describe('readFirstWaiting against a peer that goes silent', () => {
    let hub: EventHubsEmulator;
    let proxy: ReturnType<typeof silentAfterPeekAttach>;
    beforeAll(async () => {
        hub = await startEventHubsEmulator({ partitionCount: 2, consumerGroups: ['$Default', 'mfa-responder'] });
        for (const p of [0, 1]) for (let i = 0; i < 3; i++) hub.publish(p, { i });
        const port = Number(/127\.0\.0\.1:(\d+)/.exec(hub.connectionString)![1]);
        proxy = silentAfterPeekAttach(port);
        await new Promise<void>((r) => proxy.server.listen(0, '127.0.0.1', () => r()));
    });
    afterAll(async () => {
        await proxy.close();
        await hub.close();
    });

    it('settles within a few times its timeout, with nothing read (the timer waits for it otherwise)', async () => {
        const port = (proxy.server.address() as AddressInfo).port;
        const config = hubConfig(
            hub.connectionString.replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${port}`),
            hub.eventHubName,
        );
        const started = Date.now();
        let settledAfter: number | undefined;
        const read = readFirstWaiting(
            config,
            [
                { partitionId: '0', after: 0 },
                { partitionId: '1', after: 0 },
            ],
            { credential: notUsed, timeoutMs: TIMEOUT_MS },
        ).finally(() => (settledAfter = Date.now() - started));
        let bound: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([read, new Promise((r) => (bound = setTimeout(r, 5 * TIMEOUT_MS)))]);
        clearTimeout(bound);
        // Read once the race is over: undefined here means the read outlived five times its timeout.
        const early = settledAfter;
        // Awaited, not swallowed: a silent peer is no error, the answer is that nothing could be read.
        await expect(read).resolves.toEqual(new Map());
        console.log(`readFirstWaiting settled after ${settledAfter} ms (timeout ${TIMEOUT_MS} ms)`);
        expect(early).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
        expect(early).toBeLessThan(5 * TIMEOUT_MS);
    }, 300_000);
});
