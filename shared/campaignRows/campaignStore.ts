import type { CampaignHead } from '../campaign/sourceView';
import type { SourceShard } from '../campaign/sourceShard';

/** A document as read, with the version a conditional write must present. */
export interface Versioned<T> {
    readonly doc: T;
    readonly etag: string;
}

/**
 * A row as read: its version, and its document unless it could not be decoded (then the next conditional write
 * replaces it: it only held counts, which start again).
 */
export interface StoredDoc<T> {
    readonly doc?: T;
    readonly etag: string;
}

/** A campaign still going on, as the tenant-wide list of open campaigns holds it. */
export interface OpenCampaign {
    readonly id: string;
    /** The source key's text (sourceKeyText). */
    readonly source: string;
    /** Until when (event time, ms) an approval from the source is read as the campaign's. */
    readonly until: number;
}

/** The tenant's open campaigns, so that an approval from a campaign's source is noticed on whatever partition. */
export interface OpenCampaigns {
    readonly v: 1;
    readonly campaigns: readonly OpenCampaign[];
}

/** A source range blocked through the Conditional Access named location, and until when. */
export interface BlockedRange {
    readonly range: string;
    /** Wall clock, ms: the timer removes it after. */
    readonly until: number;
    readonly campaignId: string;
}

/** The ranges the responder put in the named location: what it may remove again, never anyone else's. */
export interface SourceBlocks {
    readonly v: 1;
    readonly ranges: readonly BlockedRange[];
    /** Ranges taken off the list whose removal from the named location is not confirmed yet. */
    readonly removed?: readonly string[];
}

export interface WriteHeadOptions {
    /** The version read; absent to create the row (ConcurrencyConflictError when it exists). */
    readonly etag?: string;
    /** The row has work for the timer: a notice to send, a block to add or remove. */
    readonly pending: boolean;
    /** Newest prompt of the campaign (event time, ms): the row expires after it, with nothing pending. */
    readonly lastSeen: number;
}

/**
 * The rows of campaign detection, beside the user rows in the state table: per source, one shard per writer and one
 * campaign row; tenant-wide, the open campaigns and the blocked ranges. Every write is conditional (ETag, or create
 * if absent) and fails with ConcurrencyConflictError when someone wrote in between; a row the service refuses for good
 * is WriteRejectedError; anything else is StateStoreError (transient). A row that cannot be decoded reads as absent:
 * it only held counts, which the next write starts again.
 */
export interface CampaignStore {
    readShard(source: string, shard: string): Promise<StoredDoc<SourceShard> | undefined>;
    writeShard(source: string, shard: string, doc: SourceShard, etag?: string): Promise<string>;
    /** Every row of a source, in one query: its shards (every writer's) and its campaign row. */
    readSource(source: string): Promise<{ shards: SourceShard[]; head?: Versioned<CampaignHead> }>;
    writeHead(source: string, head: CampaignHead, options: WriteHeadOptions): Promise<string>;
    readOpenCampaigns(): Promise<StoredDoc<OpenCampaigns> | undefined>;
    writeOpenCampaigns(doc: OpenCampaigns, etag?: string): Promise<string>;
    readBlocks(): Promise<StoredDoc<SourceBlocks> | undefined>;
    writeBlocks(doc: SourceBlocks, etag?: string): Promise<string>;
    /** Campaign rows with work for the timer. */
    listPendingHeads(): AsyncIterable<{ readonly source: string; readonly head: Versioned<CampaignHead> }>;
    /**
     * Deletes shards whose newest prompt is older than `before` (event time, ms), and campaign rows last seen before
     * it with nothing pending. Returns how many rows went.
     */
    expire(before: number): Promise<number>;
}
