import { EventHubConsumerClient, EventHubProducerClient, ReceivedEventData } from '@azure/event-hubs';

import { EventHubsEmulator, startEventHubsEmulator } from '../support/eventHubsEmulator';

/**
 * The Event Hubs stand-in against the official client: the canary for an upgrade of `@azure/event-hubs` or `rhea`
 * (the stand-in leans on wire details only their source shows).
 */
let hub: EventHubsEmulator;
const retryOptions = { maxRetries: 1, timeoutInMs: 5_000 };

beforeAll(async () => {
    hub = await startEventHubsEmulator({ partitionCount: 2, consumerGroups: ['$Default', 'mfa-responder'] });
});
afterAll(async () => {
    await hub.close();
});

describe('Event Hubs emulator', () => {
    it('answers the management reads, takes batches and delivers them to a subscriber from the earliest event', async () => {
        const producer = new EventHubProducerClient(hub.connectionString, hub.eventHubName, { retryOptions });
        const consumer = new EventHubConsumerClient('mfa-responder', hub.connectionString, hub.eventHubName, {
            retryOptions,
        });
        try {
            expect(await producer.getPartitionIds()).toEqual(['0', '1']);
            const empty = await producer.getPartitionProperties('1');
            expect(empty).toMatchObject({ isEmpty: true, lastEnqueuedSequenceNumber: -1, partitionId: '1' });

            const batch = await producer.createBatch({ partitionId: '1' });
            expect(batch.maxSizeInBytes).toBe(1024 * 1024);
            for (let i = 0; i < 3; i++) expect(batch.tryAdd({ body: { records: [{ i }] } })).toBe(true);
            await producer.sendBatch(batch);
            const after = await consumer.getPartitionProperties('1');
            expect(after).toMatchObject({ isEmpty: false, beginningSequenceNumber: 0, lastEnqueuedSequenceNumber: 2 });
            expect(Date.now() - after.lastEnqueuedOnUtc.getTime()).toBeLessThan(60_000);
            await expect(consumer.getPartitionProperties('7')).rejects.toMatchObject({
                code: 'ArgumentOutOfRangeError',
            });

            const received: ReceivedEventData[] = [];
            await new Promise<void>((resolve, reject) => {
                const sub = consumer.subscribe(
                    '1',
                    {
                        processEvents: async (events) => {
                            received.push(...events);
                            if (received.length >= 3) void sub.close().then(resolve, reject);
                        },
                        processError: async (e) => reject(e),
                    },
                    { startPosition: { sequenceNumber: -1 }, maxWaitTimeInSeconds: 1 },
                );
            });
            expect(received.map((e) => [e.sequenceNumber, e.body])).toEqual([
                [0, { records: [{ i: 0 }] }],
                [1, { records: [{ i: 1 }] }],
                [2, { records: [{ i: 2 }] }],
            ]);
        } finally {
            await producer.close();
            await consumer.close();
        }
    });

    it('refuses a hub or a consumer group that does not exist', async () => {
        const producer = new EventHubProducerClient(hub.connectionString, 'no-such-hub', { retryOptions });
        const consumer = new EventHubConsumerClient('nobody', hub.connectionString, hub.eventHubName, {
            retryOptions,
        });
        try {
            await expect(producer.getEventHubProperties()).rejects.toThrow(/could not be found/);
            const refused = await new Promise<Error>((resolve) => {
                const sub = consumer.subscribe(
                    '0',
                    {
                        processEvents: async () => undefined,
                        processError: async (e) => {
                            resolve(e);
                            await sub.close();
                        },
                    },
                    { startPosition: { sequenceNumber: -1 } },
                );
            });
            expect(refused.message).toMatch(/could not be found/);
        } finally {
            await producer.close();
            await consumer.close();
        }
    });
});
