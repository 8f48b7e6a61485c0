import { forgetPrompts } from './forgetPrompts';
import { cloneState, Incident, Trimmed, UserState } from './userState';

export interface ShrinkOptions {
    /** The detection window, ms: prompts within it of the newest event decide the next trigger. */
    readonly windowMs: number;
    /**
     * The long window (SUSTAINED_WINDOW_HOURS), ms: unassigned prompts within it decide the sustained trigger and a
     * spam-then-success over hours, so they stay until the last level. Absent: the detection window.
     */
    readonly longWindowMs?: number;
    /** Incidents that may be dropped altogether at the last levels (settled history); others are only trimmed. */
    readonly isEvictable: (incident: Incident) => boolean;
}

function trimList(inc: Incident, field: keyof Trimmed & keyof Incident, max: number): void {
    const list = inc[field];
    if (list.length <= max) return;
    const trimmed: Trimmed = (inc.trimmed ??= {});
    trimmed[field] = (trimmed[field] ?? 0) + list.length - max;
    // Keep the first ones: the addresses and rows that started the attack.
    list.length = max;
}

/**
 * Per level: evidence ids, addresses and apps kept per incident; row ids and keys kept per prompt. From level 4 the
 * prompts lose their application name (an attacker chooses it, 256 characters; the incidents keep theirs), so that
 * the long window's prompts fit at the default MAX_PROMPTS_PER_USER: about 650 bytes each at most, 500 of them.
 */
const DETAIL = [
    { evidence: 100, addresses: 32, rowIds: 4, keys: 8 },
    { evidence: 20, addresses: 16, rowIds: 1, keys: 3 },
    { evidence: 5, addresses: 8, rowIds: 1, keys: 3 },
    { evidence: 5, addresses: 8, rowIds: 0, keys: 2 },
    { evidence: 0, addresses: 3, rowIds: 0, keys: 2 },
    { evidence: 0, addresses: 3, rowIds: 0, keys: 1 },
    { evidence: 0, addresses: 1, rowIds: 0, keys: 1 },
] as const;

/** Levels 0 (full detail) to SHRINK_LEVELS - 1 (the least that still detects): each keeps less than the one before. */
export const SHRINK_LEVELS = DETAIL.length;

/**
 * Returns a copy of `state` with less detail, to keep a row within Azure Table limits whatever the input. Evidence
 * (record ids, then addresses and apps) goes first, then prompts older than the window that incidents hold, then
 * prompts older than the long window, then settled incidents and the prompts' app names, then every prompt an
 * incident holds, and last the oldest prompts that could still make a trigger. Counts stay exact (`trimmed`, `trimmedPrompts`, `partial`): what
 * decided an incident and what decides the next trigger is kept as long as anything else can go. Pure.
 */
export function shrinkState(state: UserState, level: number, options: ShrinkOptions): UserState {
    const next = cloneState(state);
    const detail = DETAIL[Math.min(level, DETAIL.length - 1)]!;
    for (const inc of next.incidents) {
        trimList(inc, 'evidence', detail.evidence);
        trimList(inc, 'ipAddresses', detail.addresses);
        trimList(inc, 'apps', detail.addresses);
    }
    for (const p of next.prompts) {
        if (p.rowIds.length > detail.rowIds) p.rowIds.length = detail.rowIds;
        if (level >= 4) delete p.app;
        // Request and step keys match redelivered rows of a prompt; row ids are the first to go.
        if (p.keys.length > detail.keys) p.keys = [...p.keys].sort(keyPriority).slice(0, detail.keys);
    }
    const windowStart = next.lastEventTime - options.windowMs;
    const longStart = next.lastEventTime - Math.max(options.windowMs, options.longWindowMs ?? 0);
    let forgotten = 0;
    // Prompts of an incident older than the window decide nothing more (its counts stay as they are).
    if (level >= 2) forgotten += forgetPrompts(next, (p) => p.time >= windowStart || p.incidentId === undefined);
    // Prompts older than the long window decide nothing more.
    if (level >= 3)
        forgotten += forgetPrompts(
            next,
            (p) => p.time >= longStart && (p.time >= windowStart || p.incidentId === undefined),
        );
    if (level >= 4) {
        const newest = next.incidents[next.incidents.length - 1];
        next.incidents = next.incidents.filter((i) => i === newest || !options.isEvictable(i));
    }
    // What decides the next trigger, short or long: the unassigned prompts of the long window. Then, at the very
    // last level, only the newest few.
    if (level >= 5) forgotten += forgetPrompts(next, (p) => p.incidentId === undefined);
    if (level >= 6) {
        const drop = next.prompts.length - 20;
        if (drop > 0) forgotten += forgetPrompts(next, (_p, i) => i >= drop);
    }
    if (forgotten > 0) next.trimmedPrompts = (next.trimmedPrompts ?? 0) + forgotten;
    return next;
}

const KEY_PRIORITY: Readonly<Record<string, number>> = { s: 0, r: 1, i: 2 };

function keyPriority(a: string, b: string): number {
    return (KEY_PRIORITY[a.charAt(0)] ?? 3) - (KEY_PRIORITY[b.charAt(0)] ?? 3);
}
