import type { RowIndex } from './tableEntity';

/** A user's document as read, with the version token a conditional write must present. */
export interface StoredRow<T> {
    readonly doc: T;
    /** The document as stored: a write of the same JSON changes nothing and is skipped. */
    readonly json: string;
    readonly etag: string;
    /** The write that produced this version. */
    readonly writeId?: string;
}

export interface WriteRowOptions {
    /** The version read; absent to create the row (which fails if it exists). */
    readonly etag?: string;
    /** Columns listings filter on, decided by the caller. */
    readonly index: RowIndex;
    /** Unique per write attempt: a retried write whose first try landed is recognised by it. */
    readonly writeId: string;
    /** `JSON.stringify(doc)`, when the caller already has it. */
    readonly json?: string;
}

export interface ListRowsOptions {
    /** Only rows with at least one incident. */
    readonly withIncidents?: boolean;
    /** Only rows whose index says the timer has work. */
    readonly pendingWork?: boolean;
}

/** One row of a listing: its document, or why it could not be read (one bad row never stops a listing). */
export type ListedRow<T> =
    { readonly userId: string; readonly row: StoredRow<T> } | { readonly userId: string; readonly error: Error };

/**
 * Per-user documents, one row each, with optimistic concurrency: a write with the etag from `read` fails with
 * ConcurrencyConflictError if anyone wrote in between, a write without one creates the row and fails the same way if
 * it exists. A write the service refuses for good is WriteRejectedError; anything else that fails is StateStoreError
 * (transient: retry later). A row whose JSON does not parse reads as UnreadableRowError. The store knows nothing of
 * what a document means.
 */
export interface RowStore<T> {
    read(userId: string): Promise<StoredRow<T> | undefined>;
    /** Returns the new etag. */
    write(userId: string, doc: T, options: WriteRowOptions): Promise<string>;
    /** Deletes the row if it still has this etag; a conflict is ConcurrencyConflictError. */
    delete(userId: string, etag: string): Promise<void>;
    list(options?: ListRowsOptions): AsyncIterable<ListedRow<T>>;
    /**
     * Moves a row that cannot be read out of the way, if it still has this etag (else ConcurrencyConflictError): its
     * content is kept, as it was, under another key of the same user (never listed, never expired) for a person to
     * read, with `reason`, and the user's row is gone, so that the next write starts afresh. Returns where it was
     * kept. Idempotent: the same version is kept under the same key.
     */
    setAside(userId: string, etag: string, reason: string): Promise<string>;
}
