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
    decide,
} from '../containment/circuitBreaker';

const PK = 'tenant';
const RK = 'circuit-breaker';
/** Conditional writes tried before giving up on a hot row, and the cap of the jittered pause between them, ms. */
const MAX_ATTEMPTS = 25;
const MAX_BACKOFF_MS = 500;

/**
 * The row: `counts` (minute → containments), and since share keys and held users were added, `shared` (hashed key →
 * minute) and `held` ([user, minute] pairs), each a small JSON text (bounded by decide: at most 60, 256 and 25
 * entries, well under Azure's 64 KiB a property). A row written before them reads as having none.
 */
interface BreakerEntity {
    partitionKey: string;
    rowKey: string;
    counts: string;
    shared?: string;
    held?: string;
    writeId: string;
}

/** A JSON text that must hold an object (or, for `held`, a list); anything else is junk the decision ignores. */
function parseField(text: unknown, list: boolean): unknown {
    if (typeof text !== 'string') return list ? [] : {};
    const parsed: unknown = JSON.parse(text);
    if (list) return Array.isArray(parsed) ? parsed : [];
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : {};
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
            const state = {
                counts: parseField(row.counts, false),
                shared: parseField(row.shared, false),
                held: parseField(row.held, true),
            } as BreakerState;
            return { state, etag: row.etag, ...(row.writeId ? { writeId: row.writeId } : {}) };
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
            const { decision, state } = decide(current.state, options);
            if (!state) return decision;
            const writeId = randomUUID();
            const entity: BreakerEntity = {
                partitionKey: PK,
                rowKey: RK,
                counts: JSON.stringify(state.counts),
                shared: JSON.stringify(state.shared ?? {}),
                held: JSON.stringify(state.held ?? []),
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
