import { createHash } from 'node:crypto';

import { odata, TableClient } from '@azure/data-tables';
import { isRestError, RestError } from '@azure/core-rest-pipeline';

import { ConcurrencyConflictError, StateStoreError, UnreadableRowError, WriteRejectedError } from '../errors';
import type { ListedRow, ListRowsOptions, RowStore, StoredRow, WriteRowOptions } from './rowStore';
import { fromRowEntity, SET_ASIDE_PREFIX, STATE_ROW, toRowEntity } from './tableEntity';

/** The service's own error code: data-tables leaves `code` empty and puts it in the OData error body. */
export function serviceErrorCode(e: RestError): string {
    const details = e.details as { odataError?: { code?: unknown }; errorCode?: unknown } | undefined;
    const fromBody = (() => {
        const text = e.response?.bodyAsText;
        if (!text) return undefined;
        try {
            const body = JSON.parse(text) as { 'odata.error'?: { code?: unknown }; error?: { code?: unknown } };
            return body['odata.error']?.code ?? body.error?.code;
        } catch {
            return undefined;
        }
    })();
    const code = details?.odataError?.code ?? details?.errorCode ?? e.code ?? fromBody;
    return typeof code === 'string' && code !== '' ? code : `Http${e.statusCode ?? 'Error'}`;
}

/** A Table operation's failure as the stores report it: a 400/413 is a rejected write (never retried), else a store error. */
export function storeError(action: string, e: unknown): Error {
    if (isRestError(e)) {
        const code = serviceErrorCode(e);
        if (e.statusCode === 400 || e.statusCode === 413) {
            return new WriteRejectedError(code, `Table ${action} refused (${e.statusCode} ${code})`, {
                status: e.statusCode,
                cause: e,
            });
        }
        return new StateStoreError(`Table ${action} failed (${e.statusCode ?? 'no status'} ${code})`, { cause: e });
    }
    return new StateStoreError(`Table ${action} failed: ${(e as Error)?.message ?? String(e)}`, { cause: e });
}

/** A row's document as read; UnreadableRowError (naming the version) when its JSON does not parse. */
function decodeRow<T>(userId: string, entity: Readonly<Record<string, unknown>> & { etag: string }): StoredRow<T> {
    const { json, writeId } = fromRowEntity(entity);
    let doc: T;
    try {
        doc = JSON.parse(json) as T;
    } catch (e) {
        throw new UnreadableRowError(`its JSON does not parse (${json.length} characters in its chunks)`, {
            userId,
            etag: entity.etag,
            cause: e,
        });
    }
    return { doc, json, etag: entity.etag, ...(writeId ? { writeId } : {}) };
}

/** Where a row set aside is kept: one key per version of the row, so that setting it aside again changes nothing. */
function setAsideKey(etag: string): string {
    return `${SET_ASIDE_PREFIX}${createHash('sha256').update(etag).digest('hex').slice(0, 16)}`;
}

/**
 * Per-user documents in Azure Table Storage, one row per user, with ETag optimistic concurrency on single-entity
 * operations only (batch transactions are avoided: Azurite does not enforce If-Match inside them, so they could not
 * be proven here).
 */
export class TableRowStore<T> implements RowStore<T> {
    readonly #client: TableClient;
    #tableReady: Promise<void> | undefined;

    constructor(client: TableClient) {
        this.#client = client;
    }

    get tableName(): string {
        return this.#client.tableName;
    }

    /**
     * Creates the table if it does not exist; once per process. In Azure the infrastructure creates it and grants the
     * identity rights on that table only, so Create Table is refused (403): that is fine as long as the table can be
     * read, which one point read proves.
     */
    ensureTable(): Promise<void> {
        this.#tableReady ??= this.#client.createTable().catch(async (e: unknown) => {
            if (isRestError(e) && e.statusCode === 403) {
                try {
                    await this.read('00000000-0000-0000-0000-000000000000');
                    return;
                } catch (readError) {
                    this.#tableReady = undefined;
                    throw readError;
                }
            }
            this.#tableReady = undefined;
            throw storeError('create table', e);
        });
        return this.#tableReady;
    }

    async read(userId: string): Promise<StoredRow<T> | undefined> {
        let entity;
        try {
            entity = await this.#client.getEntity<Record<string, unknown>>(userId, STATE_ROW);
        } catch (e) {
            if (isRestError(e) && e.statusCode === 404) return undefined;
            throw storeError('read', e);
        }
        return decodeRow(userId, entity);
    }

    async write(userId: string, doc: T, options: WriteRowOptions): Promise<string> {
        const entity = toRowEntity(userId, options.json ?? JSON.stringify(doc), options.index, options.writeId);
        try {
            if (options.etag === undefined) {
                const created = await this.#client.createEntity(entity);
                return created.etag ?? '';
            }
            // Replace, not Merge: a smaller document must not leave stale chunks behind.
            const updated = await this.#client.updateEntity(entity, 'Replace', { etag: options.etag });
            return updated.etag ?? '';
        } catch (e) {
            if (
                isRestError(e) &&
                (e.statusCode === 409 || e.statusCode === 412 || (options.etag !== undefined && e.statusCode === 404))
            ) {
                throw new ConcurrencyConflictError(`row of ${userId} changed concurrently (${e.statusCode})`);
            }
            throw storeError('write', e);
        }
    }

    async delete(userId: string, etag: string): Promise<void> {
        try {
            await this.#client.deleteEntity(userId, STATE_ROW, { etag });
        } catch (e) {
            if (isRestError(e) && e.statusCode === 404) return;
            if (isRestError(e) && e.statusCode === 412) throw new ConcurrencyConflictError();
            throw storeError('delete', e);
        }
    }

    async setAside(userId: string, etag: string, reason: string): Promise<string> {
        let entity;
        try {
            // As stored, types and all (no conversion), so that the copy is the row as it was.
            entity = await this.#client.getEntity<Record<string, unknown>>(userId, STATE_ROW, {
                disableTypeConversion: true,
            });
        } catch (e) {
            if (isRestError(e) && e.statusCode === 404) throw new ConcurrencyConflictError(`row of ${userId} is gone`);
            throw storeError('read', e);
        }
        if (entity.etag !== etag) throw new ConcurrencyConflictError(`row of ${userId} changed since it was read`);
        const keptAs = setAsideKey(etag);
        const content: Record<string, unknown> = {};
        for (const [name, value] of Object.entries(entity)) {
            if (['partitionKey', 'rowKey', 'etag', 'timestamp'].includes(name) || name.startsWith('odata')) continue;
            content[name] = value;
        }
        try {
            await this.#client.upsertEntity(
                {
                    ...content,
                    partitionKey: userId,
                    rowKey: keptAs,
                    setAsideAt: new Date(),
                    setAsideReason: reason.slice(0, 256),
                },
                'Replace',
            );
        } catch (e) {
            throw storeError('write', e);
        }
        await this.delete(userId, etag);
        return keptAs;
    }

    async *list(options: ListRowsOptions = {}): AsyncIterable<ListedRow<T>> {
        let filter = odata`RowKey eq ${STATE_ROW}`;
        if (options.withIncidents) filter += ' and incidentCount gt 0';
        if (options.pendingWork) filter += ' and pendingWork eq true';
        try {
            for await (const entity of this.#client.listEntities<Record<string, unknown>>({
                queryOptions: { filter },
            })) {
                const userId = entity.partitionKey ?? '';
                try {
                    yield { userId, row: decodeRow<T>(userId, entity) };
                } catch (e) {
                    yield { userId, error: e instanceof Error ? e : new Error(String(e)) };
                }
            }
        } catch (e) {
            throw storeError('list', e);
        }
    }
}
