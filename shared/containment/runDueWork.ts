import { hasPendingWork, isActive } from './model';
import { ConcurrencyConflictError } from '../errors';
import { ContainmentDeps, runContainment, sendNotices } from './runContainment';

export interface RunDueWorkOptions {
    /** Delete user rows idle for longer than this (by their newest event) with nothing pending. */
    readonly idleMs?: number;
    /** Keep rows whose newest incident is younger than this, so that history and cooldowns survive. */
    readonly incidentHistoryMs?: number;
}

export interface DueWorkResult {
    runs: number;
    expired: number;
}

/**
 * The timer's job: resume every containment that is due (a failed step after its backoff, a run whose lease expired
 * after a crash, a plan nobody ran) and send notices that failed, then forget idle users.
 */
export async function runDueWork(deps: ContainmentDeps, options: RunDueWorkOptions = {}): Promise<DueWorkResult> {
    const now = deps.now ?? Date.now;
    const result: DueWorkResult = { runs: 0, expired: 0 };
    for await (const { state } of deps.store.list({ pendingWork: true })) {
        for (const inc of state.incidents) {
            const c = inc.containment;
            if (!c) continue;
            if (isActive(c)) {
                const leaseHeld = c.lease !== undefined && c.lease.until > now();
                const waiting = c.status === 'retrying' && (c.nextAttemptAt ?? 0) > now();
                if (leaseHeld || waiting) continue;
                result.runs++;
                await runContainment(state.userId, inc.id, deps);
            } else if (c.notices.some((n) => n.status === 'pending' || n.status === 'failed')) {
                await sendNotices(state.userId, inc.id, deps, inc);
            }
        }
    }
    if (options.idleMs !== undefined) {
        const history = options.incidentHistoryMs ?? 30 * 24 * 3_600_000;
        for await (const { state, etag } of deps.store.list()) {
            const newestIncident = Math.max(0, ...state.incidents.map((i) => i.detectedAt));
            if (
                hasPendingWork(state) ||
                state.lastEventTime >= now() - options.idleMs ||
                newestIncident >= now() - history
            )
                continue;
            try {
                await deps.store.delete(state.userId, etag);
                result.expired++;
            } catch (e) {
                if (!(e instanceof ConcurrencyConflictError)) throw e;
            }
        }
    }
    return result;
}
