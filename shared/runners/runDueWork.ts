import { hasPendingWork, hasReportReady, isRunDue, mayHoldPushBlock } from '../containment/due';
import { ConcurrencyConflictError } from '../errors';
import type { UserRow } from '../userRow/userRow';
import { runCampaignTimer } from './campaignTimer';
import type { ContainmentDeps } from './containmentDeps';
import { runContainment } from './runContainment';
import { sendNotices } from './sendNotices';

export interface RunDueWorkOptions {
    /** Wall-clock time after which no new run or notice starts (the rest waits for the next tick). */
    readonly deadline?: number;
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
    /** Idle users' rows forgotten. */
    expired: number;
    /** Idle sources' campaign rows forgotten (shards and ended campaigns): apart, so that `expired` still counts users. */
    sourcesExpired: number;
}

/**
 * The timer's job: resume every containment that is due (a failed step after its backoff, a run whose lease expired
 * after a crash, a plan nobody ran, a run the event handler left to the timer) and send the notices that are due,
 * then forget idle users. One incident's failure (or one unreadable row) is logged and never keeps the timer from
 * the others.
 */
export async function runDueWork(deps: ContainmentDeps, options: RunDueWorkOptions = {}): Promise<DueWorkResult> {
    const now = deps.now ?? Date.now;
    const result: DueWorkResult = { runs: 0, deferred: 0, notices: 0, failed: 0, expired: 0, sourcesExpired: 0 };
    const outOfTime = () => options.deadline !== undefined && now() >= options.deadline;
    for await (const listed of deps.rows.list({ pendingWork: true })) {
        // Decoded one row at a time: a row that does not parse, or is not a user row, is this user's problem only.
        if ('error' in listed) {
            result.failed++;
            deps.logger.error(`Containment timer: the row of ${listed.userId} cannot be read: ${listed.error.message}`);
            continue;
        }
        const { row } = listed;
        for (const c of row.containments) {
            const incident = row.state.incidents.find((i) => i.id === c.incidentId);
            if (!incident) continue;
            const due = isRunDue(c, now());
            const report = !due && hasReportReady(c, deps.config, now());
            if ((due || report) && outOfTime()) {
                result.deferred++;
                continue;
            }
            try {
                if (due) {
                    result.runs++;
                    await runContainment(listed.userId, c.incidentId, deps, {
                        ...(options.deadline !== undefined ? { deadline: options.deadline } : {}),
                    });
                } else if (report) {
                    result.notices++;
                    await sendNotices(listed.userId, c.incidentId, deps, { incident, containment: c });
                }
            } catch (e) {
                result.failed++;
                deps.logger.error(
                    `Containment timer: incident ${c.incidentId} failed and is retried on the next run: ${(e as Error).message}`,
                );
            }
        }
    }
    if (options.idleMs !== undefined && !outOfTime()) {
        await expireIdle(deps, options.idleMs, options.incidentHistoryMs, result);
    }
    if (!outOfTime()) {
        const campaigns = await runCampaignTimer(deps, {
            ...(options.deadline !== undefined ? { deadline: options.deadline } : {}),
            ...(options.idleMs !== undefined ? { idleMs: options.idleMs } : {}),
            ...(options.incidentHistoryMs !== undefined ? { historyMs: options.incidentHistoryMs } : {}),
        });
        result.notices += campaigns.notices;
        result.failed += campaigns.failed;
        result.sourcesExpired += campaigns.expired;
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
