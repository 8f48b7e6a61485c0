const MINUTE = 60_000;
const HOUR_MINUTES = 60;

export interface BreakerDecision {
    readonly acquired: boolean;
    /** Containments counted in the last hour, this one included when acquired. */
    readonly inLastHour: number;
}

/**
 * The tenant-wide cap on containments per hour. A parser bug or an Entra outage that makes everyone look attacked
 * must not lock out the whole company: past the cap, incidents are recorded and notified, not contained.
 */
export interface CircuitBreaker {
    /** Takes a slot if fewer than `max` were taken in the hour before `now`. */
    tryAcquire(now: number, max: number): Promise<BreakerDecision>;
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

export class MemoryCircuitBreaker implements CircuitBreaker {
    #counts: MinuteCounts = {};

    async tryAcquire(now: number, max: number): Promise<BreakerDecision> {
        const { decision, counts } = decide(this.#counts, now, max);
        if (counts) this.#counts = counts;
        return decision;
    }

    async peek(now: number): Promise<number> {
        return countInLastHour(this.#counts, now);
    }
}
