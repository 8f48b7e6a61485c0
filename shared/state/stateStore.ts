import type { UserState } from '../detection/userState';

/** A user's state as read, with the version token that a conditional write must present. */
export interface VersionedUserState {
    readonly state: UserState;
    readonly etag: string;
}

/** Summary columns kept beside the state so that listings can filter without decoding every row. */
export interface UserStateSummary {
    readonly userId: string;
    readonly lastEventTime: number;
    readonly incidentCount: number;
}

export interface ListOptions {
    /** Only users with at least one incident. */
    readonly withIncidents?: boolean;
    /** Only users with containment steps or notices due (see containment/model.ts hasPendingWork). */
    readonly pendingWork?: boolean;
}

/**
 * Per-user state storage. Writes are conditional: `write` with the etag from `read` fails with
 * ConcurrencyConflictError if anyone wrote in between, and `write` without an etag creates the row and fails the same
 * way if it already exists. No update is ever lost, however many writers race.
 */
export interface UserStateStore {
    read(userId: string): Promise<VersionedUserState | undefined>;
    /** Returns the new etag. */
    write(state: UserState, etag: string | undefined): Promise<string>;
    /** Deletes the row if it still has this etag; a conflict is ConcurrencyConflictError. */
    delete(userId: string, etag: string): Promise<void>;
    /** Stored user states, filtered on the summary columns. */
    list(options?: ListOptions): AsyncIterable<VersionedUserState>;
}
