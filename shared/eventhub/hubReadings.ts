import type { TokenCredential } from '@azure/identity';

import type { CheckpointStoreConfig, EventHubConfig } from '../config';
import { checkpointPrefix, CheckpointReading, PartitionReading, readCheckpointBlob } from './lag';
import { createCheckpointContainer, createConsumerClient } from './sdk';

/** Partitions a hub may have (Event Hubs allows up to 32 on Standard, more on Dedicated): a bound for hostile data. */
const MAX_PARTITIONS = 1024;

export interface HubReadOptions {
    readonly credential: () => TokenCredential;
    /** Bound of each AMQP operation, retries included, ms. */
    readonly timeoutMs: number;
}

/**
 * The hub's partitions through `$management` reads of the responder's consumer group. No receiver is opened, so the
 * function's own (epoch) receivers are never disturbed.
 */
export async function readPartitions(hub: EventHubConfig, options: HubReadOptions): Promise<PartitionReading[]> {
    const consumer = createConsumerClient(hub, options.credential, {
        retryOptions: { maxRetries: 1, timeoutInMs: options.timeoutMs, retryDelayInMs: 500 },
    });
    try {
        const ids = (await consumer.getPartitionIds()).slice(0, MAX_PARTITIONS);
        return await Promise.all(
            ids.map(async (id): Promise<PartitionReading> => {
                const p = await consumer.getPartitionProperties(id);
                return {
                    partitionId: String(p.partitionId),
                    beginningSequenceNumber: Number(p.beginningSequenceNumber),
                    lastEnqueuedSequenceNumber: Number(p.lastEnqueuedSequenceNumber),
                    lastEnqueuedAt: p.lastEnqueuedOnUtc.getTime(),
                    isEmpty: p.isEmpty === true,
                };
            }),
        );
    } finally {
        await consumer.close().catch(() => undefined);
    }
}

/** The host's checkpoints of the responder's consumer group, by partition id (one listing, metadata included). */
export async function readCheckpoints(
    hub: EventHubConfig,
    store: CheckpointStoreConfig,
    options: Pick<HubReadOptions, 'credential'>,
): Promise<Map<string, CheckpointReading>> {
    const container = createCheckpointContainer(store, options.credential);
    const prefix = checkpointPrefix(hub.fullyQualifiedNamespace, hub.eventHubName, hub.consumerGroup);
    const found = new Map<string, CheckpointReading>();
    try {
        for await (const blob of container.listBlobsFlat({ prefix, includeMetadata: true })) {
            const reading = readCheckpointBlob(prefix, blob.name, blob.metadata, blob.properties.lastModified);
            if (reading) found.set(reading.partitionId, reading);
            if (found.size >= MAX_PARTITIONS) break;
        }
    } catch (e) {
        // The host creates the container with its first checkpoint: before that there is nothing to read.
        if ((e as { statusCode?: number }).statusCode === 404) return found;
        throw e;
    }
    return found;
}
