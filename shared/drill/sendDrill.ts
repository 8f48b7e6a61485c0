import type { TokenCredential } from '@azure/identity';

import type { EventHubConfig } from '../settings/eventHub';
import { createProducerClient } from '../eventhub/sdk';

export interface SentDrill {
    /** Wall clock just before the send (the drill's t0), ms. */
    readonly sentAt: number;
    /** When the hub acknowledged the batch, ms. */
    readonly acknowledgedAt: number;
    readonly messages: number;
}

/**
 * Sends the drill's messages with the drill id as partition key (one partition: the episode stays in order), in as
 * few batches as the hub's message size allows, through the official producer. Identity-based: needs Azure Event
 * Hubs Data Sender on the hub.
 */
export async function sendDrill(
    hub: EventHubConfig,
    messages: ReadonlyArray<{ records: unknown[] }>,
    options: { drillId: string; credential: () => TokenCredential; timeoutMs: number; now?: () => number },
): Promise<SentDrill> {
    const now = options.now ?? Date.now;
    const producer = createProducerClient(hub, options.credential, {
        retryOptions: { maxRetries: 2, timeoutInMs: options.timeoutMs, retryDelayInMs: 1000 },
    });
    try {
        // Batches in order on one partition (the drill id is the key): the episode arrives as it was sent.
        const batches = [await producer.createBatch({ partitionKey: options.drillId })];
        for (const body of messages) {
            // A JSON body goes out as its UTF-8 text in a data section, as Azure Monitor's messages do.
            const event = { body, contentType: 'application/json' };
            if (batches[batches.length - 1]!.tryAdd(event)) continue;
            const next = await producer.createBatch({ partitionKey: options.drillId });
            if (!next.tryAdd(event)) {
                throw new Error(`a drill message does not fit in ${next.maxSizeInBytes} bytes`);
            }
            batches.push(next);
        }
        const sentAt = now();
        for (const batch of batches) await producer.sendBatch(batch);
        return { sentAt, acknowledgedAt: now(), messages: messages.length };
    } finally {
        await producer.close().catch(() => undefined);
    }
}
