/**
 * What a reader saw of an input's shape, for the message that says why nothing in it could be used ("this looks like
 * a CSV with columns …"): filled in as the input is read, never holding a record.
 */
export interface InputSeen {
    /** How the input was read. */
    kind?: 'csv' | 'entra-download-csv' | 'ndjson' | 'json';
    /** A CSV's columns, as the records are keyed. */
    columns?: string[];
    /** The top-level keys of the first JSON object read. */
    firstKeys?: string[];
}

/** Notes the keys of the first JSON object of an input (an envelope's, a record's). */
export function noteFirstKeys(seen: InputSeen | undefined, value: unknown): void {
    if (!seen || seen.firstKeys || typeof value !== 'object' || value === null || Array.isArray(value)) return;
    seen.firstKeys = Object.keys(value).slice(0, 40);
}
