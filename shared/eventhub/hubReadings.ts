import type { TokenCredential } from '@azure/identity';

import type { CheckpointStoreConfig, EventHubConfig } from '../settings/eventHub';
import {
    checkpointPrefix,
    CheckpointReading,
    PartitionLag,
    PartitionReading,
    readCheckpointBlob,
    waitingAfter,
    withFirstWaiting,
} from './lag';
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

/** The group the first waiting events are read through: never the responder's own. */
const PEEK_CONSUMER_GROUP = '$Default';

/**
 * The enqueued time of the first event after each partition's checkpoint: exactly how long the oldest unprocessed
 * event has waited. Read through `$Default` with one plain (non-epoch) receiver per partition, one event each — never
 * through the responder's own consumer group, whose owner-level receivers would refuse a second reader there. Best
 * effort: a partition that cannot be read this way (the responder itself reads `$Default`, another reader holds an
 * owner-level receiver on it, a timeout) is left out, and the caller falls back to the checkpoint's age.
 */
export async function readFirstWaiting(
    hub: EventHubConfig,
    waiting: ReadonlyArray<{ readonly partitionId: string; readonly after: number }>,
    options: HubReadOptions,
): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    if (waiting.length === 0 || hub.consumerGroup.toLowerCase() === PEEK_CONSUMER_GROUP.toLowerCase()) return found;
    const consumer = createConsumerClient(hub, options.credential, {
        consumerGroup: PEEK_CONSUMER_GROUP,
        retryOptions: { maxRetries: 0, timeoutInMs: options.timeoutMs },
    });
    const subscriptions: Array<{ close(): Promise<void> }> = [];
    const reads = waiting.slice(0, MAX_PARTITIONS).map(
        ({ partitionId, after }) =>
            new Promise<void>((resolve) => {
                subscriptions.push(
                    consumer.subscribe(
                        partitionId,
                        {
                            processEvents: async (events) => {
                                const first = events[0];
                                if (first && !found.has(partitionId))
                                    found.set(partitionId, first.enqueuedTimeUtc.getTime());
                                resolve();
                            },
                            processError: async () => resolve(),
                        },
                        {
                            startPosition: { sequenceNumber: after, isInclusive: false },
                            maxBatchSize: 1,
                            maxWaitTimeInSeconds: Math.max(1, Math.ceil(options.timeoutMs / 1000)),
                        },
                    ),
                );
            }),
    );
    // One hard deadline for all of it: what was read by then is the answer. Links and the connection are closed in
    // the background, since an AMQP close waits for a peer that may never answer (a half-open connection).
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, options.timeoutMs)));
    await Promise.race([Promise.all(reads), deadline]);
    clearTimeout(timer);
    // A copy: a receiver still closing in the background may yet deliver, and must not change the answer given.
    const snapshot = new Map(found);
    void Promise.allSettled(subscriptions.map((s) => s.close())).then(() => consumer.close().catch(() => undefined));
    return snapshot;
}

/** The lag with exact waits where the hub lets them be read (never throws: the checkpoint's age stays elsewhere). */
export async function exactLag(
    hub: EventHubConfig,
    lag: readonly PartitionLag[],
    options: HubReadOptions & { readonly now: () => number },
): Promise<PartitionLag[]> {
    const waiting = waitingAfter(lag);
    if (waiting.length === 0) return [...lag];
    const first = await readFirstWaiting(hub, waiting, options).catch(() => new Map<string, number>());
    return withFirstWaiting(lag, first, options.now());
}
