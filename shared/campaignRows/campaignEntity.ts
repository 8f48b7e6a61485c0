import { createHash } from 'node:crypto';

import { WriteRejectedError } from '../errors';
import { entitySize, toChunks } from '../state/tableEntity';

/**
 * How campaign rows map onto Table entities: the document as JSON in `d0…dn` chunks (as user rows are stored), under
 * Azure's limits whatever it holds (1 MiB and 255 properties an entity, 64 KiB a property,
 * https://learn.microsoft.com/rest/api/storageservices/understanding-the-table-service-data-model). The documents are
 * bounded by construction (sourceShard.ts); the size is checked again here, before anything is sent.
 */

/** Rows of one source share a PartitionKey: a hash of the source key (which may hold `/`, not allowed in a key). */
export function sourcePartition(source: string): string {
    return `campaign-${createHash('sha256').update(source).digest('hex').slice(0, 40)}`;
}

export const HEAD_ROW = 'campaign';
export const SHARD_PREFIX = 'shard-';
/** Tenant-wide rows, beside the circuit breaker's (PartitionKey `tenant` never collides with a user's GUID). */
export const TENANT_PARTITION = 'tenant';
export const OPEN_CAMPAIGNS_ROW = 'open-campaigns';
export const SOURCE_BLOCKS_ROW = 'source-blocks';

/** Far under Azure's 1 MiB: the largest document (a shard listing every user it may) takes about a tenth of it. */
export const CAMPAIGN_ROW_BUDGET_BYTES = 512 * 1024;

/** An entity as written: its keys, its columns and its chunks. */
export type CampaignEntity = { partitionKey: string; rowKey: string } & Record<string, unknown>;

/** The entity of a document, refused (EntityTooLarge, before it is sent) when it would break the budget. */
export function toCampaignEntity(
    keys: { partitionKey: string; rowKey: string },
    doc: unknown,
    columns: Record<string, string | number | boolean | Date>,
): CampaignEntity {
    const entity: CampaignEntity = { ...columns, ...keys };
    toChunks(JSON.stringify(doc)).forEach((chunk, i) => (entity[`d${i}`] = chunk));
    const size = entitySize(entity);
    if (size > CAMPAIGN_ROW_BUDGET_BYTES || Object.keys(entity).length > 200) {
        throw new WriteRejectedError(
            'EntityTooLarge',
            `the campaign row ${keys.rowKey} would take ${size} bytes by Azure's formula; the budget is ${CAMPAIGN_ROW_BUDGET_BYTES}`,
        );
    }
    return entity;
}

/** The document of an entity, or undefined when its chunks do not parse (a row no version wrote). */
export function fromCampaignEntity<T>(
    entity: Readonly<Record<string, unknown>>,
    isDoc: (v: unknown) => boolean,
): T | undefined {
    let json = '';
    for (let i = 0; typeof entity[`d${i}`] === 'string'; i++) json += entity[`d${i}`] as string;
    try {
        const doc: unknown = JSON.parse(json);
        return isDoc(doc) ? (doc as T) : undefined;
    } catch {
        return undefined;
    }
}

/** A stored document this version reads: an object of version 1 (anything else reads as absent). */
export function isVersionOne(value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as { v?: unknown }).v === 1;
}
