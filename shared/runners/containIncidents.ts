import { hasReportReady, isRunDue } from '../containment/due';
import type { ContainedIncident } from '../userRow/userRow';
import type { ContainmentDeps } from './containmentDeps';
import { runContainment } from './runContainment';
import { sendNotices } from './sendNotices';

/**
 * How long the event handler spends on containment per batch, ms, unless the deps say otherwise (`inlineBudgetMs`).
 * Within it a containment usually finishes (a few Graph calls take well under a second); whatever is left when it
 * runs out (a Graph brownout, long retries) belongs to the containment timer, so that a slow Graph never holds a
 * partition of sign-ins back.
 */
export const INLINE_CONTAINMENT_MS = 5_000;

export interface ContainIncidentsOptions {
    /** Wall-clock time the batch reached the handler: telemetry measures the time to the first Graph call from it. */
    readonly batchStartedAt?: number;
}

/**
 * Starts the containment of the incidents a batch opened or changed (an approval or a registration reopened a
 * finished one), or sends their notice when the plan already decided everything: at once and in parallel, bounded
 * by the inline budget. A failure is logged and left to the timer (the plan is stored with the incident); it never
 * fails the batch.
 */
export async function containIncidents(
    incidents: readonly ContainedIncident[],
    deps: ContainmentDeps,
    options: ContainIncidentsOptions = {},
): Promise<void> {
    const now = deps.now ?? Date.now;
    const deadline = now() + (deps.inlineBudgetMs ?? INLINE_CONTAINMENT_MS);
    const batchStartedAt = options.batchStartedAt;
    await Promise.all(
        incidents.map(async ({ incident, containment }) => {
            if (!containment) return;
            try {
                if (isRunDue(containment, now())) {
                    await runContainment(incident.userId, incident.id, deps, {
                        deadline,
                        ...(batchStartedAt !== undefined ? { batchStartedAt } : {}),
                    });
                } else if (hasReportReady(containment, deps.config, now())) {
                    // Decided at plan time (dry-run, never-contain, cooldown): only the SOC is to be told.
                    await sendNotices(incident.userId, incident.id, deps, { incident, containment }, { deadline });
                }
            } catch (e) {
                deps.logger.error(
                    `Containment of incident ${incident.id} interrupted; the timer resumes it: ${(e as Error).message}`,
                );
            }
        }),
    );
}
