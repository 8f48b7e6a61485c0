import { EventHubConsumerClient, Subscription } from '@azure/event-hubs';
import { BlobServiceClient } from '@azure/storage-blob';

import { checkpointPrefix } from '../../shared/eventhub/lag';
import { eventHubContext } from './host';

/**
 * What the Functions host does for the Event Hub trigger, on the local stand-ins: reads every partition of the hub
 * with the function's consumer group, hands each batch to the handler as the host does (`cardinality: many`: the
 * bodies, parsed JSON, and an InvocationContext), and after each batch writes the checkpoint blob the host writes
 * (container azure-webjobs-eventhub, `{fqns}/{hub}/{cg}/checkpoint/{partition}`, metadata `sequencenumber` = the
 * last processed event; Azure/azure-sdk-for-net BlobCheckpointStoreInternal.cs).
 */
export interface LocalHost {
    readonly batches: number;
    /** What the subscription reported (a handler that threw, a link that failed). */
    readonly errors: readonly Error[];
    close(): Promise<void>;
}

export async function startLocalHost(options: {
    connectionString: string;
    eventHubName: string;
    consumerGroup: string;
    /** As the host writes it into checkpoint paths (the connection's namespace host). */
    fullyQualifiedNamespace: string;
    storageConnectionString: string;
    handler: (messages: unknown[], context: ReturnType<typeof eventHubContext>['context']) => Promise<void>;
    /** Start from the earliest event (default) or only what arrives from now on. */
    from?: 'earliest' | 'latest';
}): Promise<LocalHost> {
    const container = BlobServiceClient.fromConnectionString(options.storageConnectionString).getContainerClient(
        'azure-webjobs-eventhub',
    );
    await container.createIfNotExists();
    const prefix = checkpointPrefix(options.fullyQualifiedNamespace, options.eventHubName, options.consumerGroup);
    const consumer = new EventHubConsumerClient(options.consumerGroup, options.connectionString, options.eventHubName, {
        retryOptions: { maxRetries: 1, timeoutInMs: 5_000 },
        // Every partition at once, as the host's single instance does (the balanced default takes one per 10 s).
        loadBalancingOptions: { strategy: 'greedy', updateIntervalInMs: 500 },
    });
    const state = { batches: 0, errors: [] as Error[] };
    // host.json's initialOffsetOptions fromEnd: without a checkpoint, only what arrives from now on.
    const startedAt = new Date(Date.now() - 1);
    const subscription: Subscription = consumer.subscribe(
        {
            processEvents: async (events, partition) => {
                if (events.length === 0) return;
                const { context } = eventHubContext(events.length, partition.partitionId);
                await options.handler(
                    events.map((e) => e.body as unknown),
                    context,
                );
                state.batches++;
                const last = events[events.length - 1]!;
                await container
                    .getBlockBlobClient(`${prefix}${partition.partitionId}`)
                    .upload('', 0, { metadata: { sequencenumber: String(last.sequenceNumber), offset: '' } });
            },
            processError: async (e) => {
                state.errors.push(e);
            },
        },
        {
            startPosition: options.from === 'latest' ? { enqueuedOn: startedAt } : { sequenceNumber: -1 },
            maxWaitTimeInSeconds: 1,
            maxBatchSize: 256,
        },
    );
    return {
        get batches() {
            return state.batches;
        },
        get errors() {
            return state.errors;
        },
        close: async () => {
            await subscription.close();
            await consumer.close();
        },
    };
}

/** Writes a checkpoint blob as the host would (tests of a stale or an ahead checkpoint). */
export async function writeCheckpoint(
    storageConnectionString: string,
    prefix: string,
    partitionId: string,
    sequenceNumber: number | '',
): Promise<void> {
    const container =
        BlobServiceClient.fromConnectionString(storageConnectionString).getContainerClient('azure-webjobs-eventhub');
    await container.createIfNotExists();
    await container
        .getBlockBlobClient(`${prefix}${partitionId}`)
        .upload('', 0, { metadata: { sequencenumber: String(sequenceNumber), offset: '' } });
}
