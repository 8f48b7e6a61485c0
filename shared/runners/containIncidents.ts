import { hasReportReady, isRunDue } from '../containment/due';
import { ContainmentDeps, runContainment, sendNotices } from './runContainment';
import type { ContainedIncident } from '../userRow/userRow';

/**
 * How long the event handler spends on containment per batch, ms. Within it a containment usually finishes (a few
 * Graph calls take well under a second); whatever is left when it runs out (a Graph brownout, long retries) belongs
 * to the containment timer, so that a slow Graph never holds a partition of sign-ins back.
 */
export const INLINE_CONTAINMENT_MS = 5_000;

export interface ContainNewOptions {
    /** Time the handler may spend, ms (INLINE_CONTAINMENT_MS). */
    readonly budgetMs?: number;
    /** Wall-clock time the batch reached the handler: telemetry measures the time to the first Graph call from it. */
    readonly batchStartedAt?: number;
}

/**
 * Starts the containment of the incidents a batch opened (or sends their notice, when the plan already decided
 * everything), at once and in parallel, bounded by `budgetMs`. A failure is logged and left to the timer (the plan
 * is stored with the incident); it never fails the batch.
 */
export async function containNewIncidents(
    incidents: readonly ContainedIncident[],
    deps: ContainmentDeps,
    options: ContainNewOptions = {},
): Promise<void> {
    const now = deps.now ?? Date.now;
    const deadline = now() + (options.budgetMs ?? INLINE_CONTAINMENT_MS);
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
