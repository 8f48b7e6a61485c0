import type { CampaignHead } from '../campaign/sourceView';
import type { SourceShard } from '../campaign/sourceShard';
import { ConcurrencyConflictError } from '../errors';
import {
    HEAD_ROW,
    OPEN_CAMPAIGNS_ROW,
    SHARD_PREFIX,
    SOURCE_BLOCKS_ROW,
    sourcePartition,
    TENANT_PARTITION,
    toCampaignEntity,
} from './campaignEntity';
import type {
    CampaignStore,
    OpenCampaigns,
    SourceBlocks,
    StoredDoc,
    Versioned,
    WriteHeadOptions,
} from './campaignStore';

interface MemoryRow {
    readonly json: string;
    readonly etag: string;
    /** The source key's text, for campaign rows. */
    readonly source?: string;
    readonly newest?: number;
    readonly pending?: boolean;
    readonly lastSeen?: number;
}

/**
 * Campaign rows in process, for backtests (`replay` with the in-memory store): the Table store's contract, conditional
 * writes and the size rule included, with copies in and out so that callers cannot alias stored documents.
 */
export class MemoryCampaignStore implements CampaignStore {
    readonly #rows = new Map<string, MemoryRow>();
    #version = 0;

    #get<T>(pk: string, rk: string): StoredDoc<T> | undefined {
        const row = this.#rows.get(`${pk}/${rk}`);
        return row && { doc: JSON.parse(row.json) as T, etag: row.etag };
    }

    #put(
        pk: string,
        rk: string,
        doc: unknown,
        etag: string | undefined,
        extra: Omit<MemoryRow, 'json' | 'etag'>,
    ): string {
        // The Table store's size rule, so that a backtest refuses what the function would.
        toCampaignEntity({ partitionKey: pk, rowKey: rk }, doc, {});
        const key = `${pk}/${rk}`;
        const row = this.#rows.get(key);
        if (etag === undefined ? row !== undefined : row?.etag !== etag) {
            throw new ConcurrencyConflictError(`campaign row ${rk} changed concurrently`);
        }
        const next = `m${++this.#version}`;
        this.#rows.set(key, { json: JSON.stringify(doc), etag: next, ...extra });
        return next;
    }

    async readShard(source: string, shard: string): Promise<StoredDoc<SourceShard> | undefined> {
        return this.#get<SourceShard>(sourcePartition(source), `${SHARD_PREFIX}${shard}`);
    }

    async writeShard(source: string, shard: string, doc: SourceShard, etag?: string): Promise<string> {
        return this.#put(sourcePartition(source), `${SHARD_PREFIX}${shard}`, doc, etag, { newest: doc.newest });
    }

    async readSource(source: string): Promise<{ shards: SourceShard[]; head?: Versioned<CampaignHead> }> {
        const prefix = `${sourcePartition(source)}/`;
        const shards: SourceShard[] = [];
        let head: Versioned<CampaignHead> | undefined;
        for (const [key, row] of this.#rows) {
            if (!key.startsWith(prefix)) continue;
            const rk = key.slice(prefix.length);
            if (rk === HEAD_ROW) head = { doc: JSON.parse(row.json) as CampaignHead, etag: row.etag };
            else if (rk.startsWith(SHARD_PREFIX)) shards.push(JSON.parse(row.json) as SourceShard);
        }
        return { shards, ...(head ? { head } : {}) };
    }

    async writeHead(source: string, head: CampaignHead, options: WriteHeadOptions): Promise<string> {
        return this.#put(sourcePartition(source), HEAD_ROW, head, options.etag, {
            source,
            pending: options.pending,
            lastSeen: options.lastSeen,
        });
    }

    async readOpenCampaigns(): Promise<StoredDoc<OpenCampaigns> | undefined> {
        return this.#get<OpenCampaigns>(TENANT_PARTITION, OPEN_CAMPAIGNS_ROW);
    }

    async writeOpenCampaigns(doc: OpenCampaigns, etag?: string): Promise<string> {
        return this.#put(TENANT_PARTITION, OPEN_CAMPAIGNS_ROW, doc, etag, {});
    }

    async readBlocks(): Promise<StoredDoc<SourceBlocks> | undefined> {
        return this.#get<SourceBlocks>(TENANT_PARTITION, SOURCE_BLOCKS_ROW);
    }

    async writeBlocks(doc: SourceBlocks, etag?: string): Promise<string> {
        return this.#put(TENANT_PARTITION, SOURCE_BLOCKS_ROW, doc, etag, {});
    }

    async *listPendingHeads(): AsyncIterable<{ source: string; head: Versioned<CampaignHead> }> {
        for (const [key, row] of [...this.#rows]) {
            if (!key.endsWith(`/${HEAD_ROW}`) || !row.pending || row.source === undefined) continue;
            yield { source: row.source, head: { doc: JSON.parse(row.json) as CampaignHead, etag: row.etag } };
        }
    }

    async expire(before: number): Promise<number> {
        let n = 0;
        for (const [key, row] of [...this.#rows]) {
            const shard = row.newest !== undefined && row.newest < before;
            const head = key.endsWith(`/${HEAD_ROW}`) && row.pending === false && (row.lastSeen ?? 0) < before;
            if (shard || head) {
                this.#rows.delete(key);
                n++;
            }
        }
        return n;
    }
}
