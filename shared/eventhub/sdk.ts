import type { EventHubConsumerClient, EventHubProducerClient, RetryOptions } from '@azure/event-hubs';
import type { TokenCredential } from '@azure/identity';
import type { ContainerClient } from '@azure/storage-blob';

import type { CheckpointStoreConfig, EventHubConfig } from '../settings/eventHub';

/**
 * The Event Hubs and Blob SDKs are loaded on first use only: the function app's cold start needs neither (the timer
 * loads them on its first lag check, the CLI when a command reaches the hub).
 */
/* eslint-disable @typescript-eslint/no-require-imports -- lazy loading, see above */
const eventHubs = () => require('@azure/event-hubs') as typeof import('@azure/event-hubs');
const blobs = () => require('@azure/storage-blob') as typeof import('@azure/storage-blob');
/* eslint-enable @typescript-eslint/no-require-imports */

/** The Functions host's checkpoint container; fixed in the extension (EventHubOptions.CheckpointContainer). */
export const CHECKPOINT_CONTAINER = 'azure-webjobs-eventhub';

export interface ClientOptions {
    /** Bounds each AMQP operation and its retries, so that a check or a drill fails in seconds, not minutes. */
    readonly retryOptions?: RetryOptions;
}

/**
 * A consumer client of the responder's consumer group (only its `$management` reads are used there: no receiver), or
 * of another group given as `consumerGroup`.
 */
export function createConsumerClient(
    hub: EventHubConfig,
    credential: () => TokenCredential,
    options: ClientOptions & { readonly consumerGroup?: string } = {},
): EventHubConsumerClient {
    const { EventHubConsumerClient } = eventHubs();
    const group = options.consumerGroup ?? hub.consumerGroup;
    return hub.kind === 'connectionString'
        ? new EventHubConsumerClient(group, hub.connectionString, hub.eventHubName, options)
        : new EventHubConsumerClient(group, hub.fullyQualifiedNamespace, hub.eventHubName, credential(), options);
}

export function createProducerClient(
    hub: EventHubConfig,
    credential: () => TokenCredential,
    options: ClientOptions = {},
): EventHubProducerClient {
    const { EventHubProducerClient } = eventHubs();
    return hub.kind === 'connectionString'
        ? new EventHubProducerClient(hub.connectionString, hub.eventHubName, options)
        : new EventHubProducerClient(hub.fullyQualifiedNamespace, hub.eventHubName, credential(), options);
}

/** The host's checkpoint container, through the host's own storage settings. */
export function createCheckpointContainer(
    store: CheckpointStoreConfig,
    credential: () => TokenCredential,
): ContainerClient {
    const { BlobServiceClient } = blobs();
    const service =
        store.kind === 'connectionString'
            ? BlobServiceClient.fromConnectionString(store.connectionString)
            : new BlobServiceClient(store.blobServiceUri, credential());
    return service.getContainerClient(CHECKPOINT_CONTAINER);
}
