import { randomUUID } from 'node:crypto';

import type { TableClient } from '@azure/data-tables';
import { isRestError } from '@azure/core-rest-pipeline';

import { ConcurrencyConflictError, StateStoreError } from '../errors';
import { BreakerDecision, CircuitBreaker, countInLastHour, decide, MinuteCounts } from '../containment/circuitBreaker';

const PK = 'tenant';
const RK = 'circuit-breaker';
/** Conditional writes tried before giving up on a hot row, and the cap of the jittered pause between them, ms. */
const MAX_ATTEMPTS = 25;
const MAX_BACKOFF_MS = 500;

interface BreakerEntity {
    partitionKey: string;
    rowKey: string;
    counts: string;
    writeId: string;
}

/**
 * One row beside the user rows (PartitionKey `tenant` never collides with a user's GUID), updated by ETag. A write
 * whose acknowledgement was lost is recognised by its write id, so that a retry never takes a second slot.
 */
export class TableCircuitBreaker implements CircuitBreaker {
    constructor(private readonly client: TableClient) {}

    async #read(): Promise<{ counts: MinuteCounts; etag?: string; writeId?: string }> {
        try {
            const row = await this.client.getEntity<Partial<BreakerEntity>>(PK, RK);
            const parsed: unknown = typeof row.counts === 'string' ? JSON.parse(row.counts) : {};
            const counts =
                parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as MinuteCounts) : {};
            return { counts, etag: row.etag, ...(row.writeId ? { writeId: row.writeId } : {}) };
        } catch (e) {
            if (isRestError(e) && e.statusCode === 404) return { counts: {} };
            throw new StateStoreError('circuit breaker read failed', { cause: e });
        }
    }

    async peek(now: number): Promise<number> {
        return countInLastHour((await this.#read()).counts, now);
    }

    async tryAcquire(now: number, max: number): Promise<BreakerDecision> {
        let current = await this.#read();
        for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            const { decision, counts } = decide(current.counts, now, max);
            if (!counts) return decision;
            const writeId = randomUUID();
            const entity: BreakerEntity = { partitionKey: PK, rowKey: RK, counts: JSON.stringify(counts), writeId };
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
