import { applyEvents } from '../shared/detection/detect';
import type { DetectionPolicy } from '../shared/detection/policy';
import type { Trigger, UserState } from '../shared/detection/userState';
import type { RecordedUser } from './replayEvents';

/** The grid of DENIAL_THRESHOLD × DENIAL_WINDOW_MINUTES values a sweep runs detection for. */
export interface SweepGrid {
    readonly thresholds: readonly number[];
    readonly windowsMinutes: readonly number[];
}

export interface SweepCell {
    readonly threshold: number;
    readonly windowMinutes: number;
    readonly incidents: number;
    /** Distinct users with at least one incident. */
    readonly users: number;
    readonly byTrigger: Readonly<Partial<Record<Trigger, number>>>;
}

export interface SweepResult {
    readonly grid: SweepGrid;
    /** Row by row: thresholds in order, each with every window in order. */
    readonly cells: readonly SweepCell[];
    /** The settings the replay ran with (always on the grid). */
    readonly current: { readonly threshold: number; readonly windowMinutes: number };
}

const THRESHOLDS = [3, 4, 5, 6, 7, 8, 9, 10];
const WINDOWS = [5, 10, 15, 30, 60];

/** The usual grid, with the current settings added where they are off it: at most 9 × 6 points. */
export function defaultGrid(policy: DetectionPolicy): SweepGrid {
    const withCurrent = (values: number[], current: number) => [...new Set([...values, current])].sort((a, b) => a - b);
    return {
        thresholds: withCurrent(THRESHOLDS, policy.denialThreshold),
        windowsMinutes: withCurrent(WINDOWS, Math.round(policy.windowMs / 60_000)),
    };
}

export interface SweepOptions {
    /** Wall clock for detection (the bound of sane event times), ms. */
    readonly now: number;
}

/**
 * Runs detection again over the same events for every point of the grid: each user's chunks in the order they were
 * read, as the pipeline folded them, with only DENIAL_THRESHOLD and DENIAL_WINDOW_MINUTES changed (the retention
 * grows to cover a longer window, as the settings require). One user at a time, every grid point side by side, so
 * that memory holds one user's states and never the whole tenant's. Pure: no I/O.
 */
export function thresholdSweep(
    users: Iterable<RecordedUser>,
    base: DetectionPolicy,
    grid: SweepGrid,
    options: SweepOptions,
): SweepResult {
    const points = grid.thresholds.flatMap((threshold) =>
        grid.windowsMinutes.map((windowMinutes) => {
            const windowMs = windowMinutes * 60_000;
            const policy: DetectionPolicy = {
                ...base,
                denialThreshold: threshold,
                windowMs,
                retentionMs: Math.max(base.retentionMs, windowMs),
            };
            const byTrigger: Partial<Record<Trigger, number>> = {};
            return { threshold, windowMinutes, policy, incidents: 0, users: 0, byTrigger };
        }),
    );
    for (const user of users) {
        for (const point of points) {
            let state: UserState | undefined;
            let opened = 0;
            for (const chunk of user.chunks) {
                if (chunk.length === 0) continue;
                const r = applyEvents(state, chunk, { policy: point.policy, now: options.now });
                state = r.state;
                for (const inc of r.newIncidents) {
                    opened++;
                    point.byTrigger[inc.trigger] = (point.byTrigger[inc.trigger] ?? 0) + 1;
                }
            }
            point.incidents += opened;
            if (opened > 0) point.users++;
        }
    }
    return {
        grid,
        cells: points.map(({ threshold, windowMinutes, incidents, users: n, byTrigger }) => ({
            threshold,
            windowMinutes,
            incidents,
            users: n,
            byTrigger,
        })),
        current: { threshold: base.denialThreshold, windowMinutes: Math.round(base.windowMs / 60_000) },
    };
}

/** Adds two sweeps of the same grid over different users (a sweep run in slices, with progress between them). */
export function addSweeps(a: SweepResult, b: SweepResult): SweepResult {
    return {
        ...a,
        cells: a.cells.map((c, i) => {
            const d = b.cells[i]!;
            const byTrigger: Partial<Record<Trigger, number>> = { ...c.byTrigger };
            for (const [trigger, n] of Object.entries(d.byTrigger) as Array<[Trigger, number]>) {
                byTrigger[trigger] = (byTrigger[trigger] ?? 0) + n;
            }
            return { ...c, incidents: c.incidents + d.incidents, users: c.users + d.users, byTrigger };
        }),
    };
}
