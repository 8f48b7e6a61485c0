import { TableClient } from '@azure/data-tables';
import { isRestError } from '@azure/core-rest-pipeline';

import { ConcurrencyConflictError, StateStoreError } from '../errors';

const HOUR = 3_600_000;

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
    /** Takes a slot for this incident if fewer than `max` were taken in the hour before `now`. Idempotent per id. */
    tryAcquire(incidentId: string, now: number, max: number): Promise<BreakerDecision>;
}

interface Slot {
    id: string;
    at: number;
}

/** Pure: the decision and the new slot list. */
export function decide(
    slots: readonly Slot[],
    incidentId: string,
    now: number,
    max: number,
): { decision: BreakerDecision; slots?: Slot[] } {
    const recent = slots.filter((s) => now - s.at < HOUR);
    if (recent.some((s) => s.id === incidentId)) return { decision: { acquired: true, inLastHour: recent.length } };
    if (recent.length >= max) return { decision: { acquired: false, inLastHour: recent.length } };
    return {
        decision: { acquired: true, inLastHour: recent.length + 1 },
        slots: [...recent, { id: incidentId, at: now }],
    };
}

export class MemoryCircuitBreaker implements CircuitBreaker {
    #slots: Slot[] = [];

    async tryAcquire(incidentId: string, now: number, max: number): Promise<BreakerDecision> {
        const { decision, slots } = decide(this.#slots, incidentId, now, max);
        if (slots) this.#slots = slots;
        return decision;
    }
}

const PK = 'tenant';
const RK = 'circuit-breaker';

/** One row beside the user rows (PartitionKey `tenant` never collides with a user's GUID), updated by ETag. */
export class TableCircuitBreaker implements CircuitBreaker {
    constructor(private readonly client: TableClient) {}

    async tryAcquire(incidentId: string, now: number, max: number): Promise<BreakerDecision> {
        for (let attempt = 0; attempt < 25; attempt++) {
            let slots: Slot[] = [];
            let etag: string | undefined;
            try {
                const row = await this.client.getEntity<{ slots: string }>(PK, RK);
                slots = JSON.parse(row.slots) as Slot[];
                etag = row.etag;
            } catch (e) {
                if (!(isRestError(e) && e.statusCode === 404))
                    throw new StateStoreError('circuit breaker read failed', { cause: e });
            }
            const { decision, slots: next } = decide(slots, incidentId, now, max);
            if (!next) return decision;
            try {
                const entity = { partitionKey: PK, rowKey: RK, slots: JSON.stringify(next) };
                if (etag === undefined) await this.client.createEntity(entity);
                else await this.client.updateEntity(entity, 'Replace', { etag });
                return decision;
            } catch (e) {
                if (isRestError(e) && (e.statusCode === 409 || e.statusCode === 412)) {
                    await new Promise((r) => setTimeout(r, Math.random() * 50));
                    continue;
                }
                throw new StateStoreError('circuit breaker write failed', { cause: e });
            }
        }
        throw new ConcurrencyConflictError('circuit breaker row kept changing');
    }
}
