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
}

/** Containments per minute (minutes since the epoch → count), the last hour only: at most 60 small entries. */
export type MinuteCounts = Readonly<Record<string, number>>;

/**
 * Pure: the decision and the new counts. The counts are per minute, so the row has the same small size at any cap
 * (a cap of 10,000 is 60 numbers, not 10,000 slots); the window is the 60 whole minutes up to `now`.
 */
export function decide(
    counts: MinuteCounts,
    now: number,
    max: number,
): { decision: BreakerDecision; counts?: MinuteCounts } {
    const minute = Math.floor(now / MINUTE);
    const recent: Record<string, number> = {};
    let inLastHour = 0;
    for (const [key, n] of Object.entries(counts)) {
        const m = Number(key);
        if (!Number.isInteger(m) || !Number.isInteger(n) || n <= 0) continue;
        if (m > minute - HOUR_MINUTES && m <= minute) {
            // One entry per minute, however the stored key spells it: the row stays at 60 entries at most.
            recent[String(m)] = (recent[String(m)] ?? 0) + n;
            inLastHour += n;
        }
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
}
