import { app, InvocationContext } from '@azure/functions';

import { confirmAnnounced } from '../shared/runners/confirmAnnounced';
import { containNewIncidents } from '../shared/runners/containIncidents';
import { logBatch } from '../shared/pipeline/logBatch';
import { processSignInBatch } from '../shared/pipeline/processSignInBatch';
import { StateStoreError } from '../shared/errors';
import type { Runtime } from '../shared/runtime';
import { getRuntime } from './runtime';

/**
 * The Event Hub handler: reads what the host delivers, runs the core, maps the outcome to the host's retry
 * semantics. The batch comes back as a value: it is logged and its new incidents are handed to containment once
 * (bounded to a few seconds; the timer does the rest), and only then, if some users' updates failed for a reason
 * that may pass, the handler throws so that the retry policy below replays the batch before the checkpoint moves.
 */
export function createSignInEventsHandler(runtime: () => Runtime) {
    return async function signInEvents(messages: unknown, context: InvocationContext): Promise<void> {
        const batchStartedAt = Date.now();
        const rt = runtime();
        await rt.ready();
        const outcome = await processSignInBatch(Array.isArray(messages) ? messages : [messages], {
            store: rt.store,
            policy: rt.detection.policy,
            categories: rt.detection.categories,
            auditCategories: rt.detection.auditCategories,
            drillUsers: rt.detection.drillUsers,
            containment: rt.containment,
            telemetry: rt.telemetry,
        });
        logBatch(outcome, context);
        const { newIncidents, updatedIncidents } = outcome.result;
        await containNewIncidents([...newIncidents, ...updatedIncidents], rt.containmentDeps(context), {
            batchStartedAt,
        });
        await confirmAnnounced(newIncidents, {
            store: rt.store,
            policy: rt.detection.policy,
            ...(rt.containment ? { containment: rt.containment } : {}),
            logger: context,
        });
        if (outcome.failures.length > 0) {
            const first = outcome.failures[0]!;
            throw new StateStoreError(
                `${outcome.failures.length} of ${outcome.result.users} user updates failed; first (${first.userId}): ${first.error.message}`,
                { cause: first.error },
            );
        }
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
