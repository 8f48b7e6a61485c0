import { ConcurrencyConflictError } from '../errors';
import type { ListedRow, ListRowsOptions, RowStore, StoredRow, WriteRowOptions } from './rowStore';
import { assertRowFits, RowIndex } from './tableEntity';

interface MemoryRow {
    readonly json: string;
    readonly etag: string;
    readonly writeId: string;
    readonly index: RowIndex;
}

/**
 * In-process rows for fast backtests of large exports. Same contract as TableRowStore (the same contract tests run
 * against both), the size rule included: conditional writes by etag, copies in and out so that callers cannot alias
 * stored documents.
 */
export class MemoryRowStore<T> implements RowStore<T> {
    readonly #rows = new Map<string, MemoryRow>();
    #version = 0;
    #newestEventTime = 0;

    /** Newest event time written so far, ms: the replay's notion of "now". */
    get newestEventTime(): number {
        return this.#newestEventTime;
    }

    get size(): number {
        return this.#rows.size;
    }

    async read(userId: string): Promise<StoredRow<T> | undefined> {
        const row = this.#rows.get(userId);
        return row
            ? { doc: JSON.parse(row.json) as T, json: row.json, etag: row.etag, writeId: row.writeId }
            : undefined;
    }

    async write(userId: string, doc: T, options: WriteRowOptions): Promise<string> {
        const json = options.json ?? JSON.stringify(doc);
        // The same refusal the Table store gives, so that a backtest behaves like the function.
        assertRowFits(userId, json);
        const row = this.#rows.get(userId);
        if (options.etag === undefined ? row !== undefined : row?.etag !== options.etag) {
            throw new ConcurrencyConflictError(`row of ${userId} changed concurrently`);
        }
        const etag = `m${++this.#version}`;
        this.#newestEventTime = Math.max(this.#newestEventTime, options.index.lastEventTime);
        this.#rows.set(userId, { json, etag, writeId: options.writeId, index: options.index });
        return etag;
    }

    async delete(userId: string, etag: string): Promise<void> {
        const row = this.#rows.get(userId);
        if (!row) return;
        if (row.etag !== etag) throw new ConcurrencyConflictError();
        this.#rows.delete(userId);
    }

    async *list(options: ListRowsOptions = {}): AsyncIterable<ListedRow<T>> {
        for (const [userId, row] of [...this.#rows]) {
            if (options.withIncidents && row.index.incidentCount === 0) continue;
            if (options.pendingWork && !row.index.pendingWork) continue;
            yield {
                userId,
                row: { doc: JSON.parse(row.json) as T, json: row.json, etag: row.etag, writeId: row.writeId },
            };
        }
    }

    /** Forgets users idle since before `cutoff` (event time) with no incident: keeps a long replay's memory flat. */
    evictIdle(cutoff: number): number {
        let evicted = 0;
        for (const [userId, row] of this.#rows) {
            if (row.index.lastEventTime < cutoff && row.index.incidentCount === 0) {
                this.#rows.delete(userId);
                evicted++;
            }
        }
        return evicted;
    }
}
