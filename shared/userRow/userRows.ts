import type { ContainmentConfig } from '../settings/containment';
import type { Containment } from '../containment/model';
import type { Incident } from '../detection/userState';
import { UnreadableRowError } from '../errors';
import type { ListRowsOptions, StoredRow } from '../state/rowStore';
import { updateRow } from '../state/updateRow';
import { evictableIn, fitUserRow, userRowIndex, withState } from './fitUserRow';
import { containmentOf, UserRow, UserRowStore, withContainments } from './userRow';
import { readUserRow, userRowOf } from './userRowShape';

/** What a mutation of a user's row decided: the row to write (or none, to leave it), and a result. */
export interface UserRowMutation<R> {
    readonly row?: UserRow;
    readonly result: R;
}

/** One user row of a listing, decoded with the version a conditional delete must present; or why it cannot be read. */
export type ListedUserRow =
    | { readonly userId: string; readonly row: UserRow; readonly etag: string }
    | { readonly userId: string; readonly error: Error };

export interface UserRowsOptions {
    readonly store: UserRowStore;
    /** Detection's window, ms: what the size budget keeps when it must shrink a row. */
    readonly windowMs: number;
    /** Detection's long window (SUSTAINED_WINDOW_HOURS), ms: its unassigned prompts are kept until the last level. */
    readonly longWindowMs?: number;
    /**
     * The containment settings: their attempts decide which history may be forgotten and whether a row has pending
     * work. Absent when containment is not configured (a backtest).
     */
    readonly containment?: Pick<ContainmentConfig, 'maxStepAttempts'>;
}

/**
 * Retries of notices and steps when no containment is configured: a row then holds no containment, so this only
 * decides what history may go in a table an earlier, containing run wrote.
 */
const NO_CONTAINMENT = { maxStepAttempts: 1 };

/**
 * The user rows: the repository every reader and writer of a user's row goes through. Built once (by the runtime, or
 * a replay) from the row store, the detection window and the containment settings, so that callers carry this one
 * object instead of rebuilding what a write needs. Every write is an optimistic read-modify-write whose row is fitted
 * to the size budget and indexed (pending flag) before it is written, and not written at all when it serialises as
 * the stored row already does.
 */
export class UserRows {
    /** The generic store underneath, for what needs no decoding (tests put rows in it directly). */
    readonly store: UserRowStore;
    readonly #windowMs: number;
    readonly #longWindowMs: number | undefined;
    readonly #config: Pick<ContainmentConfig, 'maxStepAttempts'>;

    constructor(options: UserRowsOptions) {
        this.store = options.store;
        this.#windowMs = options.windowMs;
        this.#longWindowMs = options.longWindowMs;
        this.#config = options.containment ?? NO_CONTAINMENT;
    }

    /** Which of a user's incidents detection's caps and the size budget may forget: settled history only. */
    evictable(containments: readonly Containment[]): (incident: Incident) => boolean {
        return evictableIn(containments, this.#config);
    }

    /**
     * The one way a user's row changes. `mutate` gets the row as stored now (undefined when there is none) and must be
     * pure: it runs again on a fresh read after a conflict. `minLevel` shrinks harder from the start (after the service
     * refused a write).
     */
    update<R>(
        userId: string,
        mutate: (current: UserRow | undefined) => UserRowMutation<R>,
        options: { readonly minLevel?: number } = {},
    ): Promise<R> {
        const fit = {
            windowMs: this.#windowMs,
            ...(this.#longWindowMs !== undefined ? { longWindowMs: this.#longWindowMs } : {}),
            config: this.#config,
            ...options,
        };
        return updateRow(this.store, userId, (current: StoredRow<UserRow> | undefined) => {
            const { row, result } = mutate(current ? decode(userId, current) : undefined);
            if (!row) return { result };
            const fitted = fitUserRow(withState(row, row.state), fit);
            // Nothing changed (a redelivered batch, a transition that was already applied): nothing to write.
            if (fitted.json === current?.json) return { result };
            return {
                write: { doc: fitted.row, json: fitted.json, index: userRowIndex(fitted.row, this.#config) },
                result,
            };
        });
    }

    /**
     * Changes one containment of a user's row: `change` gets it as stored now and returns it changed, or undefined to
     * leave the row as it is (nothing is written). Pure, like every mutation of a row.
     */
    updateContainment(
        userId: string,
        incidentId: string,
        change: (c: Containment) => Containment | undefined,
    ): Promise<void> {
        return this.update(userId, (row) => {
            const c = row && containmentOf(row, incidentId);
            const changed = c && change(c);
            if (!row || !changed) return { result: undefined };
            const containments = row.containments.map((x) => (x.incidentId === incidentId ? changed : x));
            return { row: withContainments(row, containments), result: undefined };
        });
    }

    /** A user's row, or undefined when they have none; UnreadableRowError when it cannot be read. */
    async read(userId: string): Promise<UserRow | undefined> {
        const stored = await this.store.read(userId);
        return stored && decode(userId, stored);
    }

    /** Rows as the store lists them, decoded one at a time: a row that cannot be read is this user's problem only. */
    async *list(options?: ListRowsOptions): AsyncIterable<ListedUserRow> {
        for await (const listed of this.store.list(options)) {
            if ('error' in listed) {
                yield listed;
                continue;
            }
            const read = userRowOf(listed);
            yield 'error' in read
                ? { userId: listed.userId, error: read.error }
                : { userId: listed.userId, row: read.row, etag: listed.row.etag };
        }
    }

    /** Deletes a user's row if it still has this version (ConcurrencyConflictError otherwise). */
    delete(userId: string, etag: string): Promise<void> {
        return this.store.delete(userId, etag);
    }

    /** Keeps an unreadable row aside, as it was, if it still has this version; returns where (RowStore.setAside). */
    setAside(userId: string, etag: string, reason: string): Promise<string> {
        return this.store.setAside(userId, etag, reason);
    }
}

/** The row just read; UnreadableRowError names the user and the version, for a conditional set-aside. */
function decode(userId: string, stored: StoredRow<UserRow>): UserRow {
    try {
        return readUserRow(stored.doc);
    } catch (e) {
        if (!(e instanceof UnreadableRowError)) throw e;
        throw new UnreadableRowError(e.reason, { userId, etag: stored.etag });
    }
}
