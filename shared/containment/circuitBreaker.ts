import { createHash } from 'node:crypto';

import type { Confidence } from './confidence';

const MINUTE = 60_000;
const HOUR_MINUTES = 60;
/** Share keys remembered within the hour (newest kept); each is a 22-character hash, so the row stays small. */
export const MAX_SHARE_KEYS = 256;
/** Held users named within the hour (newest kept), each cut to this many characters. */
export const MAX_HELD = 25;
const MAX_HOLDER = 128;

export interface AcquireOptions {
    readonly now: number;
    /** MAX_CONTAINMENTS_PER_HOUR. */
    readonly max: number;
    /**
     * Requests with the same key within the breaker's hour share one slot: a push-spray campaign is one decision
     * (`campaign:<campaignId>`), and a retried containment of one incident is still one (`incident:<id>`).
     */
    readonly shareKey?: string;
    /** `high` is contained whatever the cap (and counted); `normal` (default) is held past it. */
    readonly confidence?: Confidence;
    /** Who is held when the breaker refuses: named in the notice of the open breaker (a UPN or user id). */
    readonly holder?: string;
}

export interface BreakerDecision {
    readonly acquired: boolean;
    /** Containments counted in the last hour, this one included when it took a slot. */
    readonly inLastHour: number;
    /** It shares the slot an earlier request with the same share key took within the hour. */
    readonly shared?: boolean;
    /** A high-confidence containment taken past the cap. */
    readonly overCap?: boolean;
    /** Users the breaker held within the hour (this one included when refused), oldest first: bounded. */
    readonly held: readonly string[];
}

/**
 * The tenant-wide cap on containments per hour. A parser bug or an Entra outage that makes everyone look attacked
 * must not lock out the whole company: past the cap, incidents are recorded and notified, not contained. What decoys
 * can spend is only that: a high-confidence incident (see confidence.ts) is never held.
 */
export interface CircuitBreaker {
    /** Takes a slot (or shares one, or is held), as `decide` says, and stores what changed. */
    tryAcquire(options: AcquireOptions): Promise<BreakerDecision>;
    /** Containments counted in the hour before `now`, taking nothing (doctor, /api/health). */
    peek(now: number): Promise<number>;
}

/** Containments per minute (minutes since the epoch → count), the last hour only: at most 60 small entries. */
export type MinuteCounts = Readonly<Record<string, number>>;

/** What the breaker row holds: the counts, the share keys taken (hash → minute), the users held (name, minute). */
export interface BreakerState {
    readonly counts: MinuteCounts;
    readonly shared?: Readonly<Record<string, number>>;
    readonly held?: ReadonlyArray<readonly [string, number]>;
}

/** The count `decide` would start from, without taking a slot. */
export function countInLastHour(counts: MinuteCounts, now: number): number {
    return recentCounts(counts, now).inLastHour;
}

/**
 * How far ahead of this call's minute a stored minute may be and still count: another instance whose clock is a
 * little ahead, or that took its slot while this call (with the `now` it started with) was backing off.
 */
export const FUTURE_MINUTES = 5;

/**
 * The counts of the 60 whole minutes up to the newest minute counted: `now`'s, or a slightly later one another writer
 * stored, which is never dropped. Entries further ahead than FUTURE_MINUTES, and anything that is not a minute with a
 * positive whole count, are ignored and not written. One entry per minute, however the stored key spells it.
 */
function recentCounts(
    counts: MinuteCounts,
    now: number,
): { recent: Record<string, number>; inLastHour: number; oldest: number } {
    const minute = Math.floor(now / MINUTE);
    const valid: Array<[number, number]> = [];
    let newest = minute;
    for (const [key, n] of Object.entries(counts)) {
        const m = Number(key);
        if (!Number.isInteger(m) || !Number.isInteger(n) || n <= 0 || m > minute + FUTURE_MINUTES) continue;
        valid.push([m, n]);
        newest = Math.max(newest, m);
    }
    const recent: Record<string, number> = {};
    let inLastHour = 0;
    for (const [m, n] of valid) {
        if (m <= newest - HOUR_MINUTES) continue;
        recent[String(m)] = (recent[String(m)] ?? 0) + n;
        inLastHour += n;
    }
    return { recent, inLastHour, oldest: newest - HOUR_MINUTES + 1 };
}

/** A share key as the row stores it: a fixed-size hash, whatever the caller's key. */
const hashKey = (key: string) => createHash('sha256').update(key).digest('base64url').slice(0, 22);

/** Entries of a list or record that are well-formed and within the hour; junk is ignored and not written back. */
function withinHour<T>(entries: Iterable<[T, unknown]>, oldest: number, latest: number): Array<[T, number]> {
    const out: Array<[T, number]> = [];
    for (const [k, m] of entries)
        if (Number.isInteger(m) && (m as number) >= oldest && (m as number) <= latest) out.push([k, m as number]);
    return out;
}

/**
 * Pure: the decision and the new state (absent when nothing is to write). The counts are per minute, so the row has
 * the same small size at any cap (a cap of 10,000 is 60 numbers, not 10,000 slots).
 * - A request whose share key took a slot within the hour shares it: acquired, nothing counted.
 * - Under the cap: a slot is taken.
 * - Past the cap, a high-confidence request still takes one (counted, `overCap`): decoys cannot spend its protection.
 * - Past the cap, a normal request is held; its holder joins the list of held users the open breaker names.
 */
export function decide(
    state: BreakerState,
    options: AcquireOptions,
): { decision: BreakerDecision; state?: BreakerState } {
    const { now, max } = options;
    const minute = Math.floor(now / MINUTE);
    const { recent, inLastHour, oldest } = recentCounts(state.counts, now);
    const latest = minute + FUTURE_MINUTES;
    const sharedEntries = withinHour(Object.entries(state.shared ?? {}), oldest, latest);
    const shared = Object.fromEntries(sharedEntries);
    const held = withinHour(
        (Array.isArray(state.held) ? state.held : [])
            .filter((e): e is readonly [string, number] => Array.isArray(e) && typeof e[0] === 'string')
            .map(([who, m]) => [who, m] as [string, unknown]),
        oldest,
        latest,
    );
    const heldNames = held.map(([who]) => who);
    const key = options.shareKey !== undefined ? hashKey(options.shareKey) : undefined;
    if (key !== undefined && key in shared) {
        return { decision: { acquired: true, inLastHour, shared: true, held: heldNames } };
    }
    const high = options.confidence === 'high';
    if (inLastHour >= max && !high) {
        const holder = options.holder?.slice(0, MAX_HOLDER);
        if (holder === undefined || heldNames.includes(holder)) {
            return { decision: { acquired: false, inLastHour, held: heldNames } };
        }
        const nextHeld = [...held, [holder, minute] as [string, number]].slice(-MAX_HELD);
        return {
            decision: { acquired: false, inLastHour, held: nextHeld.map(([who]) => who) },
            state: { counts: recent, shared, held: nextHeld },
        };
    }
    recent[String(minute)] = (recent[String(minute)] ?? 0) + 1;
    if (key !== undefined) {
        shared[key] = minute;
        const keys = Object.entries(shared).sort((a, b) => a[1] - b[1]);
        for (const [k] of keys.slice(0, Math.max(0, keys.length - MAX_SHARE_KEYS))) delete shared[k];
    }
    return {
        decision: {
            acquired: true,
            inLastHour: inLastHour + 1,
            ...(inLastHour >= max ? { overCap: true } : {}),
            held: heldNames,
        },
        state: { counts: recent, shared, held },
    };
}

export class MemoryCircuitBreaker implements CircuitBreaker {
    #state: BreakerState = { counts: {} };

    async tryAcquire(options: AcquireOptions): Promise<BreakerDecision> {
        const { decision, state } = decide(this.#state, options);
        if (state) this.#state = state;
        return decision;
    }

    async peek(now: number): Promise<number> {
        return countInLastHour(this.#state.counts, now);
    }
}
