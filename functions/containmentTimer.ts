import { app, InvocationContext, Timer } from '@azure/functions';

import { runDueWork } from '../shared/runners/runDueWork';
import { jsonLine } from '../shared/singleLine';
import { createLagWatch } from '../shared/health/lagWarning';
import type { Runtime } from '../shared/runtime';
import { getRuntime } from './runtime';

/**
 * How long one timer run may start containment runs: a few minutes, so that runs never pile up on the function timeout
 * (10 minutes in host.json). Notices then get a budget of their own (runDueWork.ts TIMER_NOTICES_MS, one minute).
 */
const TIMER_RUN_MS = 4 * 60_000;

/**
 * Retries failed and pending containment steps, then notices (containment first, in every tick); once an hour,
 * forgets idle users. Beside that work, a
 * bounded read of the hub's lag logs a warning when the responder falls behind (LAG_WARNING_MINUTES); it never
 * throws, and holds the timer for seconds (each read bounded to 10 s).
 */
export function createContainmentTimerHandler(runtime: () => Runtime, clock: () => number = Date.now) {
    const watchLag = createLagWatch({ clock });
    return async function containmentTimer(_timer: Timer, context: InvocationContext): Promise<void> {
        const rt = runtime();
        const lag = watchLag(rt, context, clock());
        await rt.ready();
        const expire = new Date(clock()).getUTCMinutes() === 0;
        const result = await runDueWork(
            { ...rt.containmentDeps(context), now: clock },
            {
                // Well inside the function timeout (10 min in host.json): what is left waits for the next tick.
                deadline: clock() + TIMER_RUN_MS,
                ...(expire ? { idleMs: rt.detection.policy.retentionMs } : {}),
            },
        );
        const { tally, ...counts } = result;
        if (result.runs > 0 || result.notices > 0 || result.failed > 0 || result.expired > 0 || result.deferred > 0) {
            // One line for the whole tick, whatever the number of incidents (a containment that needs a person has
            // its own line besides, which the SOC's alert matches).
            context.log(`Containment timer: ${jsonLine({ ...tally.counts(), ...counts })}`);
        }
        await lag;
    };
}

app.timer('containmentTimer', {
    schedule: '%CONTAINMENT_TIMER_SCHEDULE%',
    handler: createContainmentTimerHandler(getRuntime),
});
