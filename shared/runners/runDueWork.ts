import { hasPendingWork, hasReportReady, isRunDue, mayHoldPushBlock } from '../containment/due';
import { ConcurrencyConflictError } from '../errors';
import { forEachConcurrent } from '../mapConcurrent';
import type { UserRow } from '../userRow/userRow';
import { DEFAULT_CONCURRENCY, NOTICE_CONCURRENCY } from './containIncidents';
import type { ContainmentDeps } from './containmentDeps';
import { ContainmentTally } from './containmentTally';
import { runContainment } from './runContainment';
import { sendNotices } from './sendNotices';

/** How long a tick spends on notices and Sentinel rows after its containment work, unless told otherwise. */
export const TIMER_NOTICES_MS = 60_000;

export interface RunDueWorkOptions {
    /** Wall-clock time after which no new containment run starts (the rest waits for the next tick). */
    readonly deadline?: number;
    /**
     * How long notices and Sentinel rows may take after the containment work, ms: a budget of their own, so that
     * neither starves the other (TIMER_NOTICES_MS).
     */
    readonly noticeBudgetMs?: number;
    /** Delete user rows idle for longer than this (by their newest event) with nothing pending. */
    readonly idleMs?: number;
    /** Keep rows whose newest incident is younger than this, so that history and cooldowns survive. */
    readonly incidentHistoryMs?: number;
}

export interface DueWorkResult {
    /** Containment runs started. */
    runs: number;
    /** Due work left for the next tick because this one ran out of time. */
    deferred: number;
    /** Incidents whose notices were sent (or retried). */
    notices: number;
    /** Incidents (or rows) that failed; each is logged, none stops the others. */
    failed: number;
    expired: number;
    /** How the runs ended, and the steps that failed, by step and code (the tick's one summary line). */
    tally: ContainmentTally;
}

/** One due item of a listing: a containment of a user's row. */
interface Due {
    readonly userId: string;
    readonly row: UserRow;
    readonly incidentId: string;
}

/** The containments of the rows with pending work that `pick` selects, one at a time (the listing is never held). */
async function* dueItems(
    deps: ContainmentDeps,
    result: DueWorkResult | undefined,
    pick: (c: UserRow['containments'][number]) => boolean,
): AsyncGenerator<Due> {
    for await (const listed of deps.rows.list({ pendingWork: true })) {
        // Decoded one row at a time: a row that does not parse, or is not a user row, is this user's problem only
        // (counted and logged by the first listing of the tick).
        if ('error' in listed) {
            if (!result) continue;
            result.failed++;
            deps.logger.error(`Containment timer: the row of ${listed.userId} cannot be read: ${listed.error.message}`);
            continue;
        }
        for (const c of listed.row.containments) {
            if (!listed.row.state.incidents.some((i) => i.id === c.incidentId)) continue;
            if (pick(c)) yield { userId: listed.userId, row: listed.row, incidentId: c.incidentId };
        }
    }
}

/**
 * The timer's job, in this order in every tick: first resume every containment that is due (a failed step after its
 * backoff or its Retry-After, a run whose lease expired after a crash, a plan nobody ran, a run the event handler left
 * to the timer), GRAPH_CONCURRENCY at a time, until `deadline`; then send the notices and Sentinel rows that are due,
 * NOTICE_CONCURRENCY at a time with short timeouts, in a budget of their own (a webhook that hangs costs notices
 * time, never a victim's containment); then forget idle users. One incident's failure (or one unreadable row) is
 * counted and never keeps the timer from the others.
 */
export async function runDueWork(deps: ContainmentDeps, options: RunDueWorkOptions = {}): Promise<DueWorkResult> {
    const now = deps.now ?? Date.now;
    const tally = new ContainmentTally();
    const result: DueWorkResult = { runs: 0, deferred: 0, notices: 0, failed: 0, expired: 0, tally };
    const outOfTime = (deadline: number | undefined) => deadline !== undefined && now() >= deadline;

    await forEachConcurrent(
        dueItems(deps, result, (c) => isRunDue(c, now())),
        deps.concurrency ?? DEFAULT_CONCURRENCY,
        async ({ userId, incidentId }) => {
            if (outOfTime(options.deadline)) {
                result.deferred++;
                return;
            }
            result.runs++;
            try {
                await runContainment(userId, incidentId, deps, {
                    ...(options.deadline !== undefined ? { deadline: options.deadline } : {}),
                    deferNotices: true,
                    tally,
                });
            } catch (e) {
                result.failed++;
                tally.failed(e);
                deps.logger.error(
                    `Containment timer: incident ${incidentId} failed and is retried on the next run: ${(e as Error).message}`,
                );
            }
        },
    );

    const noticeDeadline =
        options.deadline === undefined && options.noticeBudgetMs === undefined
            ? undefined
            : now() + (options.noticeBudgetMs ?? TIMER_NOTICES_MS);
    await forEachConcurrent(
        dueItems(deps, undefined, (c) => !isRunDue(c, now()) && hasReportReady(c, deps.config, now())),
        NOTICE_CONCURRENCY,
        async ({ userId, row, incidentId }) => {
            if (outOfTime(noticeDeadline)) {
                result.deferred++;
                return;
            }
            const incident = row.state.incidents.find((i) => i.id === incidentId)!;
            const containment = row.containments.find((c) => c.incidentId === incidentId)!;
            result.notices++;
            tally.reports++;
            try {
                await sendNotices(
                    userId,
                    incidentId,
                    deps,
                    { incident, containment },
                    {
                        ...(noticeDeadline !== undefined ? { deadline: noticeDeadline } : {}),
                    },
                );
            } catch (e) {
                result.failed++;
                tally.failed(e);
                deps.logger.error(
                    `Containment timer: the notices of incident ${incidentId} failed and are retried on the next run: ${(e as Error).message}`,
                );
            }
        },
    );
    tally.deferred = result.deferred;
    if (options.idleMs !== undefined && !outOfTime(noticeDeadline)) {
        await expireIdle(deps, options.idleMs, options.incidentHistoryMs, result);
    }
    return result;
}

/**
 * Whether a row may be forgotten: idle (by event time), nothing pending, no incident younger than the history, and
 * nothing a release would still have to undo.
 */
export function isExpired(
    row: UserRow,
    deps: Pick<ContainmentDeps, 'config'>,
    now: number,
    idleMs: number,
    historyMs: number,
): boolean {
    const { state, containments } = row;
    if (state.lastEventTime >= now - idleMs) return false;
    if (state.incidents.some((i) => i.recordedAt >= now - historyMs)) return false;
    return !containments.some(
        (c) =>
            hasPendingWork(c, deps.config) ||
            (c.status !== 'released' && (mayHoldPushBlock(c) || c.status === 'needs-attention')),
    );
}

async function expireIdle(
    deps: ContainmentDeps,
    idleMs: number,
    historyMs: number | undefined,
    result: DueWorkResult,
): Promise<void> {
    const now = deps.now ?? Date.now;
    const history = historyMs ?? 30 * 24 * 3_600_000;
    for await (const listed of deps.rows.list()) {
        // An unreadable row is never expired: it is kept for a person to look at (the timer logs it when pending).
        if ('error' in listed) continue;
        if (!isExpired(listed.row, deps, now(), idleMs, history)) continue;
        try {
            await deps.rows.delete(listed.userId, listed.etag);
            result.expired++;
        } catch (e) {
            if (!(e instanceof ConcurrencyConflictError)) {
                result.failed++;
                deps.logger.error(
                    `Containment timer: could not expire the row of ${listed.userId}: ${(e as Error).message}`,
                );
            }
        }
    }
}
