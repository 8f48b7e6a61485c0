import { app, InvocationContext } from '@azure/functions';

import { handleSignInBatch } from '../shared/pipeline/handleSignInBatch';
import type { Runtime } from '../shared/runtime';
import { getRuntime } from './runtime';

/**
 * The Event Hub handler: reads what the host delivers and runs the one batch use case (handleSignInBatch): the batch
 * is stored, logged and its incidents handed to containment (bounded to a few seconds; the timer does the rest), and
 * only then, if some users' updates failed for a reason that may pass, it throws so that the retry policy below
 * replays the batch before the checkpoint moves.
 */
export function createSignInEventsHandler(runtime: () => Runtime) {
    return async function signInEvents(messages: unknown, context: InvocationContext): Promise<void> {
        const batchStartedAt = Date.now();
        const rt = runtime();
        await rt.ready();
        const partition = (context.triggerMetadata?.partitionContext as { partitionId?: unknown } | undefined)
            ?.partitionId;
        await handleSignInBatch(Array.isArray(messages) ? messages : [messages], rt.signInBatch(context), {
            batchStartedAt,
            // Each partition writes its own shard of a source's campaign rows (one reader per partition at a time).
            ...(typeof partition === 'string' && /^\d{1,4}$/.test(partition) ? { partition } : {}),
        });
    };
}

app.eventHub('signInEvents', {
    connection: 'EventHubConnection',
    eventHubName: '%EVENTHUB_NAME%',
    consumerGroup: '%EVENTHUB_CONSUMER_GROUP%',
    cardinality: 'many',
    // Without a retry policy a thrown batch still advances the checkpoint and its denials are lost. Retrying for
    // ever pauses this partition while storage is down and resumes where it stopped; processing is idempotent, and
    // a row the service refuses for good is quarantined instead of thrown, so it cannot hold the partition.
    retry: {
        strategy: 'exponentialBackoff',
        maxRetryCount: -1,
        minimumInterval: { seconds: 5 },
        maximumInterval: { minutes: 5 },
    },
    handler: createSignInEventsHandler(getRuntime),
});
