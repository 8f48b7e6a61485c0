import { ConcurrencyConflictError } from '../errors';
import type { ListedRow, ListRowsOptions, RowStore, StoredRow, WriteRowOptions } from './rowStore';
import { assertRowFits, RowIndex, SET_ASIDE_PREFIX } from './tableEntity';

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
 *
 * Rows are kept in the order they were last read or written, so that a long replay can forget the users it has not
 * seen for longest (evictBeyond): by arrival, not by event time, which an export need not be sorted by.
 */
export class MemoryRowStore<T> implements RowStore<T> {
    /** Least recently touched first: a Map iterates in insertion order, and a touch re-inserts. */
    readonly #rows = new Map<string, MemoryRow>();
    readonly #setAside = new Map<string, { readonly json: string; readonly reason: string }>();
    /** Rows whose index counts an incident: never forgotten by evictBeyond. */
    #withIncidents = 0;
    #version = 0;

    get size(): number {
        return this.#rows.size;
    }

    /** Rows without an incident: those evictBeyond may forget. */
    get idleSize(): number {
        return this.#rows.size - this.#withIncidents;
    }

    async read(userId: string): Promise<StoredRow<T> | undefined> {
        const row = this.#rows.get(userId);
        if (!row) return undefined;
        this.#touch(userId, row);
        return { doc: JSON.parse(row.json) as T, json: row.json, etag: row.etag, writeId: row.writeId };
    }

    #touch(userId: string, row: MemoryRow): void {
        this.#forget(userId);
        this.#rows.set(userId, row);
        if (row.index.incidentCount > 0) this.#withIncidents++;
    }

    #forget(userId: string): void {
        const row = this.#rows.get(userId);
        if (!row) return;
        this.#rows.delete(userId);
        if (row.index.incidentCount > 0) this.#withIncidents--;
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
        this.#touch(userId, { json, etag, writeId: options.writeId, index: options.index });
        return etag;
    }

    async delete(userId: string, etag: string): Promise<void> {
        const row = this.#rows.get(userId);
        if (!row) return;
        if (row.etag !== etag) throw new ConcurrencyConflictError();
        this.#forget(userId);
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

    async setAside(userId: string, etag: string, reason: string): Promise<string> {
        const row = this.#rows.get(userId);
        if (row?.etag !== etag) throw new ConcurrencyConflictError(`row of ${userId} changed since it was read`);
        const keptAs = `${SET_ASIDE_PREFIX}${etag}`;
        this.#setAside.set(`${userId}/${keptAs}`, { json: row.json, reason });
        this.#forget(userId);
        return keptAs;
    }

    /**
     * Forgets the users touched least recently, among those with no incident, until at most `maxIdle` of them are
     * held: keeps a long replay's memory flat. A user is forgotten only once `maxIdle` other users without an
     * incident were touched after them, however the export is ordered (by time, newest first, by user). Rows with an
     * incident are kept (the replay reads them back at the end), moved behind the others as they are passed. Returns
     * how many were forgotten.
     */
    evictBeyond(maxIdle: number): number {
        let evicted = 0;
        for (const [userId, row] of this.#rows) {
            if (this.idleSize <= maxIdle) break;
            this.#rows.delete(userId);
            if (row.index.incidentCount > 0) this.#rows.set(userId, row);
            else evicted++;
        }
        return evicted;
    }
}
