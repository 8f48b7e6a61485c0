import { randomUUID } from 'node:crypto';

import { odata, TableClient } from '@azure/data-tables';
import { isRestError } from '@azure/core-rest-pipeline';

import type { CampaignHead } from '../campaign/sourceView';
import type { SourceShard } from '../campaign/sourceShard';
import { ConcurrencyConflictError } from '../errors';
import { storeError } from '../state/tableRowStore';
import {
    fromCampaignEntity,
    HEAD_ROW,
    isVersionOne,
    OPEN_CAMPAIGNS_ROW,
    SHARD_PREFIX,
    SOURCE_BLOCKS_ROW,
    sourcePartition,
    TENANT_PARTITION,
    toCampaignEntity,
    type CampaignEntity,
} from './campaignEntity';
import type {
    CampaignStore,
    OpenCampaigns,
    SourceBlocks,
    StoredDoc,
    Versioned,
    WriteHeadOptions,
} from './campaignStore';

/** Campaign rows in the state table (see CampaignStore), by single-entity conditional operations only. */
export class TableCampaignStore implements CampaignStore {
    constructor(private readonly client: TableClient) {}

    async #get<T>(pk: string, rk: string): Promise<StoredDoc<T> | undefined> {
        let entity;
        try {
            entity = await this.client.getEntity<Record<string, unknown>>(pk, rk);
        } catch (e) {
            if (isRestError(e) && e.statusCode === 404) return undefined;
            throw storeError('read', e);
        }
        const doc = fromCampaignEntity<T>(entity, isVersionOne);
        return doc === undefined ? { etag: entity.etag } : { doc, etag: entity.etag };
    }

    async #put(entity: CampaignEntity, etag: string | undefined, what: string): Promise<string> {
        try {
            const r =
                etag === undefined
                    ? await this.client.createEntity(entity)
                    : await this.client.updateEntity(entity, 'Replace', { etag });
            return r.etag ?? '';
        } catch (e) {
            if (
                isRestError(e) &&
                (e.statusCode === 409 || e.statusCode === 412 || (etag !== undefined && e.statusCode === 404))
            ) {
                throw new ConcurrencyConflictError(`${what} changed concurrently (${e.statusCode})`);
            }
            throw storeError('write', e);
        }
    }

    async readShard(source: string, shard: string): Promise<StoredDoc<SourceShard> | undefined> {
        return this.#get<SourceShard>(sourcePartition(source), `${SHARD_PREFIX}${shard}`);
    }

    writeShard(source: string, shard: string, doc: SourceShard, etag?: string): Promise<string> {
        const entity = toCampaignEntity(
            { partitionKey: sourcePartition(source), rowKey: `${SHARD_PREFIX}${shard}` },
            doc,
            { newest: new Date(doc.newest), writeId: randomUUID() },
        );
        return this.#put(entity, etag, `shard ${shard} of ${source}`);
    }

    async readSource(source: string): Promise<{ shards: SourceShard[]; head?: Versioned<CampaignHead> }> {
        const shards: SourceShard[] = [];
        let head: Versioned<CampaignHead> | undefined;
        try {
            for await (const entity of this.client.listEntities<Record<string, unknown>>({
                queryOptions: { filter: odata`PartitionKey eq ${sourcePartition(source)}` },
            })) {
                if (entity.rowKey === HEAD_ROW) {
                    const doc = fromCampaignEntity<CampaignHead>(entity, isVersionOne);
                    if (doc) head = { doc, etag: entity.etag };
                } else if (entity.rowKey?.startsWith(SHARD_PREFIX)) {
                    const doc = fromCampaignEntity<SourceShard>(entity, isVersionOne);
                    if (doc) shards.push(doc);
                }
            }
        } catch (e) {
            throw storeError('query', e);
        }
        return { shards, ...(head ? { head } : {}) };
    }

    writeHead(source: string, head: CampaignHead, options: WriteHeadOptions): Promise<string> {
        const entity = toCampaignEntity({ partitionKey: sourcePartition(source), rowKey: HEAD_ROW }, head, {
            source: source.slice(0, 256),
            pending: options.pending,
            lastSeen: new Date(options.lastSeen),
            writeId: randomUUID(),
        });
        return this.#put(entity, options.etag, `campaign row of ${source}`);
    }

    readOpenCampaigns(): Promise<StoredDoc<OpenCampaigns> | undefined> {
        return this.#get<OpenCampaigns>(TENANT_PARTITION, OPEN_CAMPAIGNS_ROW);
    }

    writeOpenCampaigns(doc: OpenCampaigns, etag?: string): Promise<string> {
        const entity = toCampaignEntity({ partitionKey: TENANT_PARTITION, rowKey: OPEN_CAMPAIGNS_ROW }, doc, {
            writeId: randomUUID(),
        });
        return this.#put(entity, etag, 'the open campaigns');
    }

    readBlocks(): Promise<StoredDoc<SourceBlocks> | undefined> {
        return this.#get<SourceBlocks>(TENANT_PARTITION, SOURCE_BLOCKS_ROW);
    }

    writeBlocks(doc: SourceBlocks, etag?: string): Promise<string> {
        const entity = toCampaignEntity({ partitionKey: TENANT_PARTITION, rowKey: SOURCE_BLOCKS_ROW }, doc, {
            writeId: randomUUID(),
        });
        return this.#put(entity, etag, 'the blocked sources');
    }

    async *listPendingHeads(): AsyncIterable<{ source: string; head: Versioned<CampaignHead> }> {
        try {
            for await (const entity of this.client.listEntities<Record<string, unknown>>({
                queryOptions: { filter: odata`RowKey eq ${HEAD_ROW} and pending eq ${true}` },
            })) {
                const doc = fromCampaignEntity<CampaignHead>(entity, isVersionOne);
                if (doc && typeof entity.source === 'string')
                    yield { source: entity.source, head: { doc, etag: entity.etag } };
            }
        } catch (e) {
            throw storeError('list', e);
        }
    }

    async expire(before: number): Promise<number> {
        const cutoff = new Date(before);
        const filter =
            odata`RowKey ge ${SHARD_PREFIX} and RowKey lt ${'shard.'} and newest lt ${cutoff}` +
            ' or ' +
            odata`(RowKey eq ${HEAD_ROW} and pending eq ${false} and lastSeen lt ${cutoff})`;
        let n = 0;
        try {
            for await (const entity of this.client.listEntities<Record<string, unknown>>({
                queryOptions: { filter, select: ['PartitionKey', 'RowKey'] },
            })) {
                try {
                    await this.client.deleteEntity(entity.partitionKey!, entity.rowKey!, { etag: entity.etag });
                    n++;
                } catch (e) {
                    // Written again meanwhile (412), or gone (404): it is not idle, or not there.
                    if (!(isRestError(e) && (e.statusCode === 412 || e.statusCode === 404))) throw e;
                }
            }
        } catch (e) {
            throw storeError('expiry', e);
        }
        return n;
    }
}
