import { odata, TableClient, TableEntityResult } from '@azure/data-tables';
import { isRestError } from '@azure/core-rest-pipeline';

import { hasPendingWork } from '../containment/model';
import type { UserState } from '../detection/userState';
import { ConcurrencyConflictError, StateStoreError } from '../errors';
import type { ListOptions, UserStateStore, VersionedUserState } from './stateStore';

/** The state row of a user: PartitionKey = user id, RowKey = this. */
const STATE_ROW = 'state';
/** Table string properties hold at most 64 KiB (32 K UTF-16 characters); stay well under. */
const CHUNK_CHARS = 30_000;
/** An entity holds at most 1 MiB and 255 properties. */
const MAX_CHUNKS = 30;
const SCHEMA_VERSION = 1;

interface StateEntity {
    partitionKey: string;
    rowKey: string;
    schemaVersion: number;
    lastEventTime: Date;
    incidentCount: number;
    /** Containment steps or notices are due: the timer lists only these rows. */
    pendingWork: boolean;
    [chunk: `d${number}`]: string;
}

function toEntity(state: UserState): StateEntity {
    const json = JSON.stringify(state);
    const chunks = Math.ceil(json.length / CHUNK_CHARS) || 1;
    if (chunks > MAX_CHUNKS) throw new StateStoreError(`state of ${state.userId} is too large (${json.length} chars)`);
    const entity: StateEntity = {
        partitionKey: state.userId,
        rowKey: STATE_ROW,
        schemaVersion: SCHEMA_VERSION,
        lastEventTime: new Date(state.lastEventTime),
        incidentCount: state.incidents.length,
        pendingWork: hasPendingWork(state),
    };
    for (let i = 0; i < chunks; i++) entity[`d${i}`] = json.slice(i * CHUNK_CHARS, (i + 1) * CHUNK_CHARS);
    return entity;
}

function fromEntity(entity: TableEntityResult<Record<string, unknown>>): VersionedUserState {
    let json = '';
    for (let i = 0; typeof entity[`d${i}`] === 'string'; i++) json += entity[`d${i}`] as string;
    return { state: JSON.parse(json) as UserState, etag: entity.etag };
}

function storeError(action: string, e: unknown): Error {
    if (isRestError(e)) {
        const status = e.statusCode ?? 'no status';
        return new StateStoreError(`Table ${action} failed (${status} ${e.code ?? ''})`.trim(), { cause: e });
    }
    return new StateStoreError(`Table ${action} failed: ${(e as Error)?.message ?? String(e)}`, { cause: e });
}

/**
 * Per-user state in Azure Table Storage, one row per user, with ETag optimistic concurrency on single-entity
 * operations only (batch transactions are avoided: Azurite does not enforce If-Match inside them, so they could not
 * be proven here).
 */
export class TableStateStore implements UserStateStore {
    readonly #client: TableClient;
    #tableReady: Promise<void> | undefined;

    constructor(client: TableClient) {
        this.#client = client;
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

    async read(userId: string): Promise<VersionedUserState | undefined> {
        try {
            const entity = await this.#client.getEntity<Record<string, unknown>>(userId, STATE_ROW);
            return fromEntity(entity);
        } catch (e) {
            if (isRestError(e) && e.statusCode === 404) return undefined;
            throw storeError('read', e);
        }
    }

    async write(state: UserState, etag: string | undefined): Promise<string> {
        const entity = toEntity(state);
        try {
            if (etag === undefined) {
                const created = await this.#client.createEntity(entity);
                return created.etag ?? '';
            }
            // Replace, not Merge: a smaller state must not leave stale chunks behind.
            const updated = await this.#client.updateEntity(entity, 'Replace', { etag });
            return updated.etag ?? '';
        } catch (e) {
            if (
                isRestError(e) &&
                (e.statusCode === 409 || e.statusCode === 412 || (etag !== undefined && e.statusCode === 404))
            ) {
                throw new ConcurrencyConflictError(`state of ${state.userId} changed concurrently (${e.statusCode})`);
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

    async *list(options: ListOptions = {}): AsyncIterable<VersionedUserState> {
        let filter = odata`RowKey eq ${STATE_ROW}`;
        if (options.withIncidents) filter += ' and incidentCount gt 0';
        if (options.pendingWork) filter += ' and pendingWork eq true';
        try {
            for await (const entity of this.#client.listEntities<Record<string, unknown>>({
                queryOptions: { filter },
            })) {
                yield fromEntity(entity);
            }
        } catch (e) {
            throw storeError('list', e);
        }
    }
}
