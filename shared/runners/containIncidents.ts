import { hasReportReady, isRunDue } from '../containment/due';
import type { Containment } from '../containment/model';
import type { Incident } from '../detection/userState';
import { mapConcurrent } from '../mapConcurrent';
import { jsonLine } from '../singleLine';
import type { ContainedIncident } from '../userRow/userRow';
import type { ContainmentDeps } from './containmentDeps';
import { ContainmentTally } from './containmentTally';
import { runContainment } from './runContainment';
import { sendNotices } from './sendNotices';

/**
 * How long the event handler spends on containment per batch, ms, unless the deps say otherwise (`inlineBudgetMs`).
 * Within it a containment usually finishes (a few Graph calls take well under a second); whatever is left when it
 * runs out (a Graph brownout, long retries, a wave of users) belongs to the containment timer, so that a slow Graph
 * never holds a partition of sign-ins back.
 */
export const INLINE_CONTAINMENT_MS = 5_000;
/** How long the handler then spends on notices and Sentinel rows, on top: its own budget, after containment. */
export const INLINE_NOTICES_MS = 3_000;
/** Containment runs at once when the deps do not say (GRAPH_CONCURRENCY's default). */
export const DEFAULT_CONCURRENCY = 4;
/**
 * Notices (and Sentinel rows) sent at once: Teams Workflows throttles a webhook past 4 requests a second
 * (https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook).
 */
export const NOTICE_CONCURRENCY = 4;

export interface ContainIncidentsOptions {
    /** Wall-clock time the batch reached the handler: telemetry measures the time to the first Graph call from it. */
    readonly batchStartedAt?: number;
}

/**
 * Contains the incidents a batch opened or changed (an approval or a registration reopened a finished one), then tells
 * the SOC: containment first, at most GRAPH_CONCURRENCY runs at once and none started past the inline budget (the
 * rest stay due and the timer runs them within a minute: memory and Graph load follow the bound, not the batch); then
 * notices and Sentinel rows, concurrently, in a budget of their own. Logs one summary line for all of it. A failure is
 * counted and left to the timer (the plan is stored with the incident); it never fails the batch.
 */
export async function containIncidents(
    incidents: readonly ContainedIncident[],
    deps: ContainmentDeps,
    options: ContainIncidentsOptions = {},
): Promise<void> {
    const now = deps.now ?? Date.now;
    const deadline = now() + (deps.inlineBudgetMs ?? INLINE_CONTAINMENT_MS);
    const batchStartedAt = options.batchStartedAt;
    const tally = new ContainmentTally();
    // What to tell the SOC afterwards: incidents whose run ended now, and those the plan already decided.
    const toReport: Array<{ incident: Incident; containment: Containment }> = [];
    await mapConcurrent(incidents, deps.concurrency ?? DEFAULT_CONCURRENCY, async ({ incident, containment }) => {
        if (!containment) return;
        if (!isRunDue(containment, now())) {
            // Decided at plan time (dry-run, never-contain, cooldown): only the SOC is to be told.
            if (hasReportReady(containment, deps.config, now())) toReport.push({ incident, containment });
            return;
        }
        if (now() >= deadline) {
            tally.deferred++;
            return;
        }
        try {
            await runContainment(incident.userId, incident.id, deps, {
                deadline,
                deferNotices: true,
                tally,
                onFinished: (known) => toReport.push(known),
                ...(batchStartedAt !== undefined ? { batchStartedAt } : {}),
            });
        } catch (e) {
            tally.failed(e);
        }
    });
    const noticeDeadline = now() + (deps.inlineNoticesMs ?? INLINE_NOTICES_MS);
    await mapConcurrent(toReport, NOTICE_CONCURRENCY, async (known) => {
        if (now() >= noticeDeadline || !hasReportReady(known.containment, deps.config, now())) return;
        tally.reports++;
        try {
            await sendNotices(known.incident.userId, known.incident.id, deps, known, { deadline: noticeDeadline });
        } catch (e) {
            tally.failed(e);
        }
    });
    if (!tally.empty) {
        deps.logger.log(
            `Containment: ${jsonLine({ event: 'ContainmentBatch', incidents: incidents.length, ...tally.counts() })}`,
        );
    }
}
