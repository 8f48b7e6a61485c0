import { app, InvocationContext, Timer } from '@azure/functions';

import { runDueWork } from '../shared/containment/runDueWork';
import type { Runtime } from '../shared/runtime';
import { getRuntime } from './runtime';

/** Retries failed and pending containment steps and notices; once an hour, forgets idle users. */
export function createContainmentTimerHandler(runtime: () => Runtime, clock: () => number = Date.now) {
    return async function containmentTimer(_timer: Timer, context: InvocationContext): Promise<void> {
        const rt = runtime();
        await rt.ready();
        const expire = new Date(clock()).getUTCMinutes() === 0;
        const result = await runDueWork(
            { ...rt.containmentDeps(context), now: clock },
            expire ? { idleMs: rt.detection.policy.retentionMs } : {},
        );
        if (result.runs > 0 || result.notices > 0 || result.failed > 0 || result.expired > 0) {
            context.log(`Containment timer: ${JSON.stringify(result)}`);
        }
    };
}

app.timer('containmentTimer', {
    schedule: '%CONTAINMENT_TIMER_SCHEDULE%',
    handler: createContainmentTimerHandler(getRuntime),
});
