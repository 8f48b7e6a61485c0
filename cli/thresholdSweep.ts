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

/** The long window's axis: SUSTAINED_THRESHOLD × SUSTAINED_WINDOW_HOURS, every other setting as in the run. */
export interface SustainedGrid {
    readonly thresholds: readonly number[];
    readonly windowsHours: readonly number[];
}

export interface SustainedCell {
    readonly threshold: number;
    readonly windowHours: number;
    readonly incidents: number;
    readonly users: number;
    readonly byTrigger: Readonly<Partial<Record<Trigger, number>>>;
}

export interface SweepResult {
    readonly grid: SweepGrid;
    /** Row by row: thresholds in order, each with every window in order. */
    readonly cells: readonly SweepCell[];
    /** The settings the replay ran with (always on the grid). */
    readonly current: { readonly threshold: number; readonly windowMinutes: number };
    /** The long window's sweep, row by row as `cells`; absent from a sweep run without its grid. */
    readonly sustained?: {
        readonly grid: SustainedGrid;
        readonly cells: readonly SustainedCell[];
        readonly current: { readonly threshold: number; readonly windowHours: number };
    };
}

const THRESHOLDS = [3, 4, 5, 6, 7, 8, 9, 10];
const WINDOWS = [5, 10, 15, 30, 60];
const SUSTAINED_THRESHOLDS = [10, 15, 20, 25, 30];
const SUSTAINED_WINDOWS = [2, 4, 8, 12];

const withCurrent = (values: number[], current: number) => [...new Set([...values, current])].sort((a, b) => a - b);

/** The usual grid, with the current settings added where they are off it: at most 9 × 6 points. */
export function defaultGrid(policy: DetectionPolicy): SweepGrid {
    return {
        thresholds: withCurrent(THRESHOLDS, policy.denialThreshold),
        windowsMinutes: withCurrent(WINDOWS, Math.round(policy.windowMs / 60_000)),
    };
}

/** The long window's usual grid, with the current settings added where they are off it: at most 6 × 5 points. */
export function defaultSustainedGrid(policy: DetectionPolicy): SustainedGrid {
    return {
        thresholds: withCurrent(SUSTAINED_THRESHOLDS, policy.sustainedThreshold),
        windowsHours: withCurrent(SUSTAINED_WINDOWS, Math.round(policy.sustainedWindowMs / 3_600_000)),
    };
}

export interface SweepOptions {
    /** Wall clock for detection (the bound of sane event times), ms. */
    readonly now: number;
    /** The long window's grid too (the HTML report's second table). */
    readonly sustained?: SustainedGrid;
}

interface Point {
    readonly policy: DetectionPolicy;
    incidents: number;
    users: number;
    readonly byTrigger: Partial<Record<Trigger, number>>;
}

/** Detection again over one user's chunks, as the pipeline folded them: the incidents it opens, into the point. */
function runPoint(user: RecordedUser, point: Point, now: number): void {
    let state: UserState | undefined;
    let opened = 0;
    for (const chunk of user.chunks) {
        if (chunk.length === 0) continue;
        const r = applyEvents(state, chunk, { policy: point.policy, now });
        state = r.state;
        for (const inc of r.newIncidents) {
            opened++;
            point.byTrigger[inc.trigger] = (point.byTrigger[inc.trigger] ?? 0) + 1;
        }
    }
    point.incidents += opened;
    if (opened > 0) point.users++;
}

/**
 * Runs detection again over the same events for every point of the grid: each user's chunks in the order they were
 * read, as the pipeline folded them, with only DENIAL_THRESHOLD and DENIAL_WINDOW_MINUTES changed (the retention
 * grows to cover a longer window, as the settings require) — and, with a sustained grid, only SUSTAINED_THRESHOLD and
 * SUSTAINED_WINDOW_HOURS. One user at a time, every grid point side by side, so that memory holds one user's states
 * and never the whole tenant's. Pure: no I/O.
 */
export function thresholdSweep(
    users: Iterable<RecordedUser>,
    base: DetectionPolicy,
    grid: SweepGrid,
    options: SweepOptions,
): SweepResult {
    const point = (policy: DetectionPolicy): Point => ({ policy, incidents: 0, users: 0, byTrigger: {} });
    const points = grid.thresholds.flatMap((threshold) =>
        grid.windowsMinutes.map((windowMinutes) => {
            const windowMs = windowMinutes * 60_000;
            const retentionMs = Math.max(base.retentionMs, windowMs);
            return {
                threshold,
                windowMinutes,
                ...point({ ...base, denialThreshold: threshold, windowMs, retentionMs }),
            };
        }),
    );
    const long = options.sustained;
    const longPoints = (long?.thresholds ?? []).flatMap((threshold) =>
        long!.windowsHours.map((windowHours) => {
            const sustainedWindowMs = windowHours * 3_600_000;
            const retentionMs = Math.max(base.retentionMs, sustainedWindowMs);
            return {
                threshold,
                windowHours,
                ...point({ ...base, sustainedThreshold: threshold, sustainedWindowMs, retentionMs }),
            };
        }),
    );
    for (const user of users) {
        for (const p of points) runPoint(user, p, options.now);
        for (const p of longPoints) runPoint(user, p, options.now);
    }
    const cell = <T extends { incidents: number; users: number; byTrigger: Point['byTrigger'] }>(p: T) => ({
        incidents: p.incidents,
        users: p.users,
        byTrigger: p.byTrigger,
    });
    return {
        grid,
        cells: points.map((p) => ({ threshold: p.threshold, windowMinutes: p.windowMinutes, ...cell(p) })),
        current: { threshold: base.denialThreshold, windowMinutes: Math.round(base.windowMs / 60_000) },
        ...(long
            ? {
                  sustained: {
                      grid: long,
                      cells: longPoints.map((p) => ({
                          threshold: p.threshold,
                          windowHours: p.windowHours,
                          ...cell(p),
                      })),
                      current: {
                          threshold: base.sustainedThreshold,
                          windowHours: Math.round(base.sustainedWindowMs / 3_600_000),
                      },
                  },
              }
            : {}),
    };
}

/** Adds two cells of one grid point. */
function addCells<T extends SweepCell | SustainedCell>(c: T, d: T): T {
    const byTrigger: Partial<Record<Trigger, number>> = { ...c.byTrigger };
    for (const [trigger, n] of Object.entries(d.byTrigger) as Array<[Trigger, number]>) {
        byTrigger[trigger] = (byTrigger[trigger] ?? 0) + n;
    }
    return { ...c, incidents: c.incidents + d.incidents, users: c.users + d.users, byTrigger };
}

/** Adds two sweeps of the same grid over different users (a sweep run in slices, with progress between them). */
export function addSweeps(a: SweepResult, b: SweepResult): SweepResult {
    return {
        ...a,
        cells: a.cells.map((c, i) => addCells(c, b.cells[i]!)),
        ...(a.sustained && b.sustained
            ? {
                  sustained: {
                      ...a.sustained,
                      cells: a.sustained.cells.map((c, i) => addCells(c, b.sustained!.cells[i]!)),
                  },
              }
            : {}),
    };
}
