import { ConcurrencyConflictError } from '../errors';
import type { UserState } from '../detection/userState';
import type { UserStateStore, VersionedUserState } from './stateStore';

export interface UpdateUserStateOptions {
    /** Attempts before giving up on a hot row. */
    readonly maxAttempts?: number;
    /** Upper bound of the jittered pause between attempts, ms. */
    readonly maxBackoffMs?: number;
}

/** What a mutation decided: the new state to write (or undefined to leave the row as it is), and a result. */
export interface Mutation<R> {
    readonly state?: UserState;
    readonly result: R;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Optimistic read-modify-write of one user's row: read, let `mutate` decide, write conditionally, and on a conflict
 * start over from a fresh read. `mutate` must be pure: it may run several times. Costs one read and at most one write
 * per attempt, so two round trips when nobody races.
 */
export async function updateUserState<R>(
    store: UserStateStore,
    userId: string,
    mutate: (current: VersionedUserState | undefined) => Mutation<R>,
    options: UpdateUserStateOptions = {},
): Promise<R> {
    const maxAttempts = options.maxAttempts ?? 25;
    const maxBackoffMs = options.maxBackoffMs ?? 200;
    for (let attempt = 1; ; attempt++) {
        const current = await store.read(userId);
        const { state, result } = mutate(current);
        if (!state) return result;
        try {
            await store.write(state, current?.etag);
            return result;
        } catch (e) {
            if (!(e instanceof ConcurrencyConflictError) || attempt >= maxAttempts) throw e;
            await sleep(Math.random() * Math.min(maxBackoffMs, 10 * 2 ** attempt));
        }
    }
}
