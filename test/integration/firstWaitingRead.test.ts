/**
 * The read of the first waiting event is bounded by its timeout, whatever the peer does:
 * the containment timer awaits it (functions/containmentTimer.ts `await lag`) outside any `withTimeout`, and the
 * docs promise "each read bounded to 10 s". A connection that goes silent once the `$Default` receiver attaches (a
 * half-open TCP connection, a gateway that stops answering) is the case here: an AMQP close waits for the peer's
 * answer up to rhea-promise's operation timeout (60 s by default), link close first, then connection close.
 */
import { createConnection, createServer, Server, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

import type { EventHubConfig } from '../../shared/settings/eventHub';
import { readFirstWaiting } from '../../shared/eventhub/hubReadings';
import { EventHubsEmulator, startEventHubsEmulator } from '../support/eventHubsEmulator';

const TIMEOUT_MS = 1_000;

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

    it('settles within a few times its timeout (the timer waits for it otherwise)', async () => {
        const port = (proxy.server.address() as AddressInfo).port;
        const config = {
            kind: 'connectionString',
            connectionString: hub.connectionString.replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${port}`),
            fullyQualifiedNamespace: '127.0.0.1',
            eventHubName: hub.eventHubName,
            consumerGroup: 'mfa-responder',
        } as EventHubConfig;
        const started = Date.now();
        let settledAfter: number | undefined;
        const read = readFirstWaiting(
            config,
            [
                { partitionId: '0', after: 0 },
                { partitionId: '1', after: 0 },
            ],
            {
                credential: () => {
                    throw new Error('not used with a connection string');
                },
                timeoutMs: TIMEOUT_MS,
            },
        ).finally(() => (settledAfter = Date.now() - started));
        let bound: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([read, new Promise((r) => (bound = setTimeout(r, 5 * TIMEOUT_MS)))]);
        clearTimeout(bound);
        const early = settledAfter;
        await read.catch(() => undefined); // let it finish so that nothing leaks past the test
        console.log(`readFirstWaiting settled after ${settledAfter} ms (timeout ${TIMEOUT_MS} ms)`);
        expect(early).toBeDefined();
    }, 300_000);
});
