import { app, InvocationContext } from '@azure/functions';

import { needsRunner } from '../shared/containment/model';
import { runContainment } from '../shared/containment/runContainment';
import type { Incident } from '../shared/detection/userState';
import { logBatch } from '../shared/pipeline/logBatch';
import { BatchIncompleteError, processSignInBatch } from '../shared/pipeline/processSignInBatch';
import type { Runtime } from '../shared/runtime';
import { getRuntime } from './runtime';

/**
 * The Event Hub handler: reads what the host delivers, runs the core, maps failures to the host's retry semantics.
 * Bad records never throw (they are counted and logged); a storage failure throws, so that the retry policy below
 * replays the batch before the checkpoint moves. Containment of new incidents starts here, seconds after the
 * triggering row; its failures are stored on the incident and retried by the timer, never thrown.
 */
export function createSignInEventsHandler(runtime: () => Runtime) {
    return async function signInEvents(messages: unknown, context: InvocationContext): Promise<void> {
        const rt = runtime();
        await rt.ready();
        const batch = Array.isArray(messages) ? messages : [messages];
        let result;
        try {
            result = await processSignInBatch(batch, {
                store: rt.store,
                policy: rt.detection.policy,
                categories: rt.detection.categories,
                containment: rt.containment,
            });
            logBatch(result, context);
        } catch (e) {
            if (e instanceof BatchIncompleteError) {
                logBatch(e.partial, context);
                await containAll(rt, e.partial.newIncidents, context);
            }
            context.error(`Sign-in batch not fully stored; the host will retry it: ${(e as Error).message}`);
            throw e;
        }
        await containAll(rt, result.newIncidents, context);
    };
}

async function containAll(rt: Runtime, incidents: readonly Incident[], context: InvocationContext): Promise<void> {
    const deps = rt.containmentDeps(context);
    await Promise.all(
        incidents.filter(needsRunner).map(async (inc) => {
            try {
                await runContainment(inc.userId, inc.id, deps);
            } catch (e) {
                // Storage trouble while containing: the incident and its plan are stored, the timer picks it up.
                context.error(
                    `Containment of incident ${inc.id} interrupted; the timer will resume it: ${(e as Error).message}`,
                );
            }
        }),
    );
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
