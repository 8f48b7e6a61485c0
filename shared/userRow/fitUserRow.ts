import type { ContainmentConfig } from '../settings/containment';
import { hasPendingWork, isSettled } from '../containment/due';
import type { Containment } from '../containment/model';
import { shrinkState, SHRINK_LEVELS } from '../detection/shrinkState';
import type { Incident, UserState } from '../detection/userState';
import { WriteRejectedError } from '../errors';
import { ROW_BUDGET_BYTES, RowIndex, rowSize } from '../state/tableEntity';
import { newUserRow, UserRow } from './userRow';

/**
 * A user row within Azure's limits, and the columns a listing filters on: what every write of a row goes through
 * (userRows.ts), so that no input an attacker can grow makes a row the service refuses.
 */

/** Which incidents detection's caps and the size budget may forget: settled history only. */
export function evictableIn(
    containments: readonly Containment[],
    config: Pick<ContainmentConfig, 'maxStepAttempts'>,
): (incident: Incident) => boolean {
    const byId = new Map(containments.map((c) => [c.incidentId, c]));
    return (incident) => incident.closedAt !== undefined || isSettled(byId.get(incident.id), config);
}

/** The columns a listing filters on: the timer lists rows with pending work only. */
export function userRowIndex(row: UserRow, config: Pick<ContainmentConfig, 'maxStepAttempts'>): RowIndex {
    return {
        lastEventTime: row.state.lastEventTime,
        incidentCount: row.state.incidents.length,
        pendingWork: row.containments.some((c) => hasPendingWork(c, config)),
    };
}

export interface FitOptions {
    readonly windowMs: number;
    /** The long window (SUSTAINED_WINDOW_HOURS), ms: see shrinkState. */
    readonly longWindowMs?: number;
    readonly config: Pick<ContainmentConfig, 'maxStepAttempts'>;
    /** Start at this shrink level (a write the service refused is retried smaller). */
    readonly minLevel?: number;
    readonly budgetBytes?: number;
}

/**
 * Keeps a row within Azure's row limits whatever the input, by shrinking detection's detail level by level (see
 * shrinkState). Containments are never trimmed: they are small and bounded by construction. Returns the row with its
 * JSON (computed once). Throws WriteRejectedError when even the least detail does not fit.
 */
export function fitUserRow(row: UserRow, options: FitOptions): { row: UserRow; json: string } {
    const budget = options.budgetBytes ?? ROW_BUDGET_BYTES;
    const userId = row.state.userId;
    const isEvictable = evictableIn(row.containments, options.config);
    for (let level = options.minLevel ?? 0; level < SHRINK_LEVELS; level++) {
        const candidate =
            level === 0 ? row : withState(row, shrinkState(row.state, level, { ...options, isEvictable }));
        const json = JSON.stringify(candidate);
        if (rowSize(userId, json) <= budget) return { row: candidate, json };
    }
    throw new WriteRejectedError(
        'EntityTooLarge',
        `the row of ${userId} does not fit in ${budget} bytes even with the least detail`,
    );
}

/** The row with this state, and only the containments (and ids to announce) whose incidents it still holds. */
export function withState(row: UserRow, state: UserState): UserRow {
    const kept = new Set(state.incidents.map((i) => i.id));
    const containments = row.containments.filter((c) => kept.has(c.incidentId));
    const unannounced = (row.unannounced ?? []).filter((id) => kept.has(id));
    return containments.length === row.containments.length &&
        unannounced.length === (row.unannounced ?? []).length &&
        state === row.state
        ? row
        : newUserRow(state, containments, unannounced);
}
