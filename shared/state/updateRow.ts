import { randomUUID } from 'node:crypto';

import { ConcurrencyConflictError } from '../errors';
import type { RowIndex } from './tableEntity';
import type { RowStore, StoredRow } from './rowStore';

export interface UpdateRowOptions {
    /** Attempts before giving up on a hot row. */
    readonly maxAttempts?: number;
    /** Upper bound of the jittered pause between attempts, ms. */
    readonly maxBackoffMs?: number;
}

/** What a mutation decided: the document to write with its index (or nothing, to leave the row), and a result. */
export interface Mutation<T, R> {
    /** `json`: the document already serialised, when the caller had to (to measure it). */
    readonly write?: { readonly doc: T; readonly index: RowIndex; readonly json?: string };
    readonly result: R;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Optimistic read-modify-write of one user's row: read, let `mutate` decide, write conditionally, and on a conflict
 * start over from a fresh read. `mutate` must be pure: it may run several times. Costs one read and at most one write
 * per attempt, so two round trips when nobody races.
 *
 * A write whose acknowledgement was lost (the SDK retries it, and the retry answers 409 or 412) is recognised on the
 * re-read by its write id: its result is returned as if the first answer had arrived, so that what it did (an
 * incident opened, a step started) is acted on exactly once.
 */
export async function updateRow<T, R>(
    store: RowStore<T>,
    userId: string,
    mutate: (current: StoredRow<T> | undefined) => Mutation<T, R>,
    options: UpdateRowOptions = {},
): Promise<R> {
    const maxAttempts = options.maxAttempts ?? 25;
    const maxBackoffMs = options.maxBackoffMs ?? 200;
    let current = await store.read(userId);
    for (let attempt = 1; ; attempt++) {
        const { write, result } = mutate(current);
        if (!write) return result;
        const writeId = randomUUID();
        try {
            await store.write(userId, write.doc, {
                ...(current ? { etag: current.etag } : {}),
                index: write.index,
                writeId,
                ...(write.json !== undefined ? { json: write.json } : {}),
            });
            return result;
        } catch (e) {
            if (!(e instanceof ConcurrencyConflictError)) throw e;
            current = await store.read(userId);
            if (current?.writeId === writeId) return result;
            if (attempt >= maxAttempts) throw e;
            await sleep(Math.random() * Math.min(maxBackoffMs, 10 * 2 ** attempt));
        }
    }
}
