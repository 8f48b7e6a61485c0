import { app, InvocationContext } from '@azure/functions';

import { logBatch } from '../shared/pipeline/logBatch';
import { BatchIncompleteError, processSignInBatch } from '../shared/pipeline/processSignInBatch';
import type { Runtime } from '../shared/runtime';
import { getRuntime } from './runtime';

/**
 * The Event Hub handler: reads what the host delivers, runs the core, maps failures to the host's retry semantics.
 * Bad records never throw (they are counted and logged); a storage failure throws, so that the retry policy below
 * replays the batch before the checkpoint moves.
 */
export function createSignInEventsHandler(runtime: () => Runtime) {
    return async function signInEvents(messages: unknown, context: InvocationContext): Promise<void> {
        const rt = runtime();
        await rt.ready();
        const batch = Array.isArray(messages) ? messages : [messages];
        try {
            const result = await processSignInBatch(batch, {
                store: rt.store,
                policy: rt.detection.policy,
                categories: rt.detection.categories,
            });
            logBatch(result, context);
        } catch (e) {
            if (e instanceof BatchIncompleteError) logBatch(e.partial, context);
            context.error(`Sign-in batch not fully stored; the host will retry it: ${(e as Error).message}`);
            throw e;
        }
    };
}

app.eventHub('signInEvents', {
    connection: 'EventHubConnection',
    eventHubName: '%EVENTHUB_NAME%',
    consumerGroup: '%EVENTHUB_CONSUMER_GROUP%',
    cardinality: 'many',
    // Without a retry policy a thrown batch still advances the checkpoint and its denials are lost. Retrying for
    // ever pauses this partition while storage is down and resumes where it stopped; processing is idempotent.
    retry: {
        strategy: 'exponentialBackoff',
        maxRetryCount: -1,
        minimumInterval: { seconds: 5 },
        maximumInterval: { minutes: 5 },
    },
    handler: createSignInEventsHandler(getRuntime),
});
