import { createHash } from 'node:crypto';

const MINUTE = 60_000;
const HOUR_MINUTES = 60;

export interface BreakerDecision {
    readonly acquired: boolean;
    /** Containments counted in the last hour, this one included when acquired. */
    readonly inLastHour: number;
    /** The request joined the slot its `shareKey` took earlier in the hour: no new slot was taken. */
    readonly shared?: true;
}

/** What a request for a slot says: when, the cap, and the decision it belongs to. */
export interface AcquireOptions {
    readonly now: number;
    readonly max: number;
    /**
     * Requests with the same key within the breaker's hour share ONE slot: a push-spray campaign (`campaign:<id>`) is
     * one decision, however many of its users are contained.
     */
    readonly shareKey?: string;
}

/**
 * The tenant-wide cap on containments per hour. A parser bug or an Entra outage that makes everyone look attacked
 * must not lock out the whole company: past the cap, incidents are recorded and notified, not contained.
 */
export interface CircuitBreaker {
    /** Takes a slot if fewer than `max` were taken in the hour before `now` (or joins its `shareKey`'s slot). */
    tryAcquire(options: AcquireOptions): Promise<BreakerDecision>;
    /** Containments counted in the hour before `now`, taking nothing (doctor, /api/health). */
    peek(now: number): Promise<number>;
}

/** The count `decide` would start from, without taking a slot: a cap of 0 never takes one. */
export function countInLastHour(counts: MinuteCounts, now: number): number {
    return decide(counts, now, 0).decision.inLastHour;
}

/** Containments per minute (minutes since the epoch → count), the last hour only: at most 60 small entries. */
export type MinuteCounts = Readonly<Record<string, number>>;

/**
 * How far ahead of this call's minute a stored minute may be and still count: another instance whose clock is a
 * little ahead, or that took its slot while this call (with the `now` it started with) was backing off.
 */
export const FUTURE_MINUTES = 5;

/**
 * Pure: the decision and the new counts. The counts are per minute, so the row has the same small size at any cap
 * (a cap of 10,000 is 60 numbers, not 10,000 slots). The window is the 60 whole minutes up to the newest minute
 * counted: `now`'s, or a slightly later one another writer stored, which is never dropped. Entries further ahead
 * than FUTURE_MINUTES, and anything that is not a minute with a positive whole count, are ignored and not written.
 */
export function decide(
    counts: MinuteCounts,
    now: number,
    max: number,
): { decision: BreakerDecision; counts?: MinuteCounts } {
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
        // One entry per minute, however the stored key spells it: the row stays at 60 entries at most.
        recent[String(m)] = (recent[String(m)] ?? 0) + n;
        inLastHour += n;
    }
    if (inLastHour >= max) return { decision: { acquired: false, inLastHour } };
    recent[String(minute)] = (recent[String(minute)] ?? 0) + 1;
    return { decision: { acquired: true, inLastHour: inLastHour + 1 }, counts: recent };
}

/**
 * Shared slots: a hash of each share key that took a slot, with the minute it took it. Only keys of the last hour are
 * kept, and at most MAX_SHARED_KEYS of them (the newest), so that the row stays small at any cap: a key forgotten
 * early takes a slot of its own next time, which only trips the breaker sooner.
 */
export type SharedSlots = Readonly<Record<string, number>>;

/** Shared keys remembered at most: 800 entries of about 30 characters stay far under a 64 KiB Table property. */
export const MAX_SHARED_KEYS = 800;

/** The breaker's whole state: per-minute counts, and which shared decisions took their slot when. */
export interface BreakerState {
    readonly counts: MinuteCounts;
    readonly shared?: SharedSlots;
}

/** A share key as it is stored: 16 hex digits of its SHA-256 (a campaign id is long, and names a source). */
export function shareKeyHash(key: string): string {
    return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/**
 * Pure: the decision for one request, and the state to write (none when nothing changed). A request whose share key
 * took a slot within the hour joins it (nothing is written: a redelivery changes nothing); any other request is
 * `decide`'s, and a share key that takes a slot is remembered with its minute.
 */
export function decideShared(
    state: BreakerState,
    options: AcquireOptions,
): { decision: BreakerDecision; state?: BreakerState } {
    const minute = Math.floor(options.now / MINUTE);
    const hash = options.shareKey === undefined ? undefined : shareKeyHash(options.shareKey);
    const inHour = (m: number) => Number.isInteger(m) && m > minute - HOUR_MINUTES && m <= minute + FUTURE_MINUTES;
    const taken = hash === undefined ? undefined : state.shared?.[hash];
    if (taken !== undefined && inHour(taken)) {
        return { decision: { acquired: true, inLastHour: countInLastHour(state.counts, options.now), shared: true } };
    }
    const { decision, counts } = decide(state.counts, options.now, options.max);
    if (!counts) return { decision };
    if (hash === undefined) return { decision, state: { counts, ...(state.shared ? { shared: state.shared } : {}) } };
    const kept = Object.entries(state.shared ?? {})
        .filter(([h, m]) => h !== hash && inHour(m))
        .sort((a, b) => b[1] - a[1])
        .slice(0, MAX_SHARED_KEYS - 1);
    return { decision, state: { counts, shared: Object.fromEntries([[hash, minute], ...kept]) } };
}

export class MemoryCircuitBreaker implements CircuitBreaker {
    #state: BreakerState = { counts: {} };

    async tryAcquire(options: AcquireOptions): Promise<BreakerDecision> {
        const { decision, state } = decideShared(this.#state, options);
        if (state) this.#state = state;
        return decision;
    }

    async peek(now: number): Promise<number> {
        return countInLastHour(this.#state.counts, now);
    }
}
