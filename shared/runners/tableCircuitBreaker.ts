import { randomUUID } from 'node:crypto';

import type { TableClient } from '@azure/data-tables';
import { isRestError } from '@azure/core-rest-pipeline';

import { ConcurrencyConflictError, StateStoreError } from '../errors';
import {
    AcquireOptions,
    BreakerDecision,
    BreakerState,
    CircuitBreaker,
    countInLastHour,
    decideShared,
    MinuteCounts,
    SharedSlots,
} from '../containment/circuitBreaker';

const PK = 'tenant';
const RK = 'circuit-breaker';
/** Conditional writes tried before giving up on a hot row, and the cap of the jittered pause between them, ms. */
const MAX_ATTEMPTS = 25;
const MAX_BACKOFF_MS = 500;

interface BreakerEntity {
    partitionKey: string;
    rowKey: string;
    counts: string;
    /** Share keys (hashed) and the minute each took its slot; absent in rows written before shared slots. */
    shared?: string;
    writeId: string;
}

function jsonObject(text: unknown): Record<string, number> {
    const parsed: unknown = typeof text === 'string' ? JSON.parse(text) : {};
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, number>) : {};
}

/**
 * One row beside the user rows (PartitionKey `tenant` never collides with a user's GUID), updated by ETag. A write
 * whose acknowledgement was lost is recognised by its write id, so that a retry never takes a second slot.
 */
export class TableCircuitBreaker implements CircuitBreaker {
    constructor(private readonly client: TableClient) {}

    async #read(): Promise<{ state: BreakerState; etag?: string; writeId?: string }> {
        try {
            const row = await this.client.getEntity<Partial<BreakerEntity>>(PK, RK);
            const counts: MinuteCounts = jsonObject(row.counts);
            const shared: SharedSlots | undefined = row.shared === undefined ? undefined : jsonObject(row.shared);
            return {
                state: { counts, ...(shared ? { shared } : {}) },
                etag: row.etag,
                ...(row.writeId ? { writeId: row.writeId } : {}),
            };
        } catch (e) {
            if (isRestError(e) && e.statusCode === 404) return { state: { counts: {} } };
            throw new StateStoreError('circuit breaker read failed', { cause: e });
        }
    }

    async peek(now: number): Promise<number> {
        return countInLastHour((await this.#read()).state.counts, now);
    }

    async tryAcquire(options: AcquireOptions): Promise<BreakerDecision> {
        let current = await this.#read();
        for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            const { decision, state } = decideShared(current.state, options);
            if (!state) return decision;
            const writeId = randomUUID();
            const entity: BreakerEntity = {
                partitionKey: PK,
                rowKey: RK,
                counts: JSON.stringify(state.counts),
                ...(state.shared ? { shared: JSON.stringify(state.shared) } : {}),
                writeId,
            };
            try {
                if (current.etag === undefined) await this.client.createEntity(entity);
                else await this.client.updateEntity(entity, 'Replace', { etag: current.etag });
                return decision;
            } catch (e) {
                if (!(isRestError(e) && (e.statusCode === 409 || e.statusCode === 412))) {
                    throw new StateStoreError('circuit breaker write failed', { cause: e });
                }
                // A write whose answer was lost landed all the same: the row then carries its write id.
                if ((await this.#read()).writeId === writeId) return decision;
                // Back off, then read afresh: a version read before the pause is stale after it, and every
                // concurrent containment of a burst must get its turn.
                await new Promise((r) => setTimeout(r, Math.random() * Math.min(MAX_BACKOFF_MS, 10 * 2 ** attempt)));
                current = await this.#read();
            }
        }
        throw new ConcurrencyConflictError('circuit breaker row kept changing');
    }
}
