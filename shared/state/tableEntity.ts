import { WriteRejectedError } from '../errors';

/**
 * The one mapping between a user's row and an Azure Table entity, and the size rule it obeys.
 *
 * Azure counts an entity as 4 bytes + 2 × (PartitionKey + RowKey length) + for each property 8 bytes + 2 × name length
 * + the value's size, a string being 4 + 2 × its UTF-16 length, a date or 64-bit number 8, a 32-bit number 4 and a
 * boolean 1; an entity holds at most 1 MiB and 255 properties, a string property at most 64 KiB
 * (https://learn.microsoft.com/rest/api/storageservices/understanding-the-table-service-data-model). Azurite counts
 * differently (UTF-8 bytes), so the rule is applied here, before anything is sent, and tests check it against an
 * endpoint that enforces Azure's formula.
 */

/** The state row of a user: PartitionKey = user id, RowKey = this. */
export const STATE_ROW = 'state';
/** A state row that could not be read is kept beside it under a RowKey with this prefix (see RowStore.setAside). */
export const SET_ASIDE_PREFIX = 'unreadable-';
/** Azure's limit is 1 MiB; the margin leaves room for a containment update of a row that just fits. */
export const ROW_BUDGET_BYTES = 960 * 1024;
/** A string property holds at most 64 KiB, 32,768 UTF-16 units; chunks stay well under. */
const CHUNK_CHARS = 30_000;
const AZURE_MAX_PROPERTIES = 255;

/** What listings filter on without decoding the document. The caller decides what they mean. */
export interface RowIndex {
    /** Newest event time of the user, ms. */
    readonly lastEventTime: number;
    readonly incidentCount: number;
    /** The timer has something to do for this row. */
    readonly pendingWork: boolean;
}

/** A row as Table Storage holds it. Property names are short and fixed: they count against the size too. */
export interface RowEntity {
    partitionKey: string;
    rowKey: string;
    lastEventTime: Date;
    incidentCount: number;
    pendingWork: boolean;
    /** Identifies the write that produced this version, to tell a lost acknowledgement from a conflict. */
    writeId: string;
    [chunk: `d${number}`]: string;
}

function stringSize(s: string): number {
    return 4 + 2 * s.length;
}

function propertySize(name: string, value: unknown): number {
    const header = 8 + 2 * name.length;
    if (typeof value === 'string') return header + stringSize(value);
    if (typeof value === 'boolean') return header + 1;
    if (value instanceof Date) return header + 8;
    if (typeof value === 'number') return header + (Number.isInteger(value) && Math.abs(value) < 2 ** 31 ? 4 : 8);
    return header + stringSize(JSON.stringify(value) ?? '');
}

/** Size of an entity by Azure's formula, in bytes. */
export function entitySize(entity: object): number {
    let size = 4;
    for (const [name, value] of Object.entries(entity)) {
        if (name === 'partitionKey' || name === 'rowKey') size += 2 * String(value).length;
        else size += propertySize(name, value);
    }
    // Timestamp is a system property the service adds.
    return size + propertySize('Timestamp', new Date(0));
}

/**
 * Where the document's chunks end: every CHUNK_CHARS units, one unit earlier when that would split a surrogate pair
 * (an emoji, a rare CJK character), so that every chunk is well-formed UTF-16 on its own. A lone surrogate is not a
 * character: how a service stores and returns one is not something to rely on. (JSON.stringify escapes lone
 * surrogates of the document itself, so its output has only whole pairs.)
 */
function chunkEnds(json: string): number[] {
    const ends: number[] = [];
    let start = 0;
    do {
        let end = Math.min(start + CHUNK_CHARS, json.length);
        const last = json.charCodeAt(end - 1);
        if (end < json.length && last >= 0xd800 && last <= 0xdbff) end--;
        ends.push(end);
        start = end;
    } while (start < json.length);
    return ends;
}

/** The document cut into the chunks it is stored in (see chunkEnds). */
export function toChunks(json: string): string[] {
    let start = 0;
    return chunkEnds(json).map((end) => json.slice(start, (start = end)));
}

/** Encodes a row. Throws WriteRejectedError (EntityTooLarge) when Azure would refuse it, before it is sent. */
export function toRowEntity(userId: string, json: string, index: RowIndex, writeId: string): RowEntity {
    const entity: RowEntity = {
        partitionKey: userId,
        rowKey: STATE_ROW,
        lastEventTime: new Date(index.lastEventTime),
        incidentCount: index.incidentCount,
        pendingWork: index.pendingWork,
        writeId,
    };
    assertRowFits(userId, json);
    toChunks(json).forEach((chunk, i) => (entity[`d${i}`] = chunk));
    return entity;
}

/** Throws WriteRejectedError (EntityTooLarge) when the document would not fit in a row by Azure's formula. */
export function assertRowFits(userId: string, json: string): void {
    const size = rowSize(userId, json);
    if (size > ROW_BUDGET_BYTES || chunkEnds(json).length + 8 > AZURE_MAX_PROPERTIES) {
        throw new WriteRejectedError(
            'EntityTooLarge',
            `the row of ${userId} would take ${size} bytes by Azure's formula; the budget is ${ROW_BUDGET_BYTES}`,
        );
    }
}

/** The size a document would take as a row, in bytes (the same arithmetic as toRowEntity, without building it). */
export function rowSize(userId: string, json: string): number {
    const chunks = chunkEnds(json).length;
    let size = entitySize({
        partitionKey: userId,
        rowKey: STATE_ROW,
        lastEventTime: new Date(0),
        incidentCount: 0,
        pendingWork: false,
        writeId: '00000000-0000-0000-0000-000000000000',
    });
    for (let i = 0; i < chunks; i++) size += 8 + 2 * `d${i}`.length + 4;
    return size + 2 * json.length;
}

/** The document's JSON and the write that produced it. */
export function fromRowEntity(entity: Readonly<Record<string, unknown>>): { json: string; writeId?: string } {
    let json = '';
    for (let i = 0; typeof entity[`d${i}`] === 'string'; i++) json += entity[`d${i}`] as string;
    return {
        json,
        ...(typeof entity.writeId === 'string' ? { writeId: entity.writeId } : {}),
    };
}
