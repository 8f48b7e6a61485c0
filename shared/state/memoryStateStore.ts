import { hasPendingWork } from '../containment/model';
import type { UserState } from '../detection/userState';
import { ConcurrencyConflictError } from '../errors';
import type { ListOptions, UserStateStore, VersionedUserState } from './stateStore';

/**
 * In-process state for fast backtests of large exports. Same contract as TableStateStore (the same contract tests
 * run against both): conditional writes by etag, copies in and out so callers cannot alias stored state.
 */
export class MemoryStateStore implements UserStateStore {
    readonly #rows = new Map<string, { json: string; etag: string; lastEventTime: number; incidents: number }>();
    #version = 0;
    #newestEventTime = 0;

    /** Newest event time written so far, ms: the replay's notion of "now". */
    get newestEventTime(): number {
        return this.#newestEventTime;
    }

    get size(): number {
        return this.#rows.size;
    }

    async read(userId: string): Promise<VersionedUserState | undefined> {
        const row = this.#rows.get(userId);
        return row ? { state: JSON.parse(row.json) as UserState, etag: row.etag } : undefined;
    }

    async write(state: UserState, etag: string | undefined): Promise<string> {
        const row = this.#rows.get(state.userId);
        if (etag === undefined ? row !== undefined : row?.etag !== etag) {
            throw new ConcurrencyConflictError(`state of ${state.userId} changed concurrently`);
        }
        const next = `m${++this.#version}`;
        this.#newestEventTime = Math.max(this.#newestEventTime, state.lastEventTime);
        this.#rows.set(state.userId, {
            json: JSON.stringify(state),
            etag: next,
            lastEventTime: state.lastEventTime,
            incidents: state.incidents.length,
        });
        return next;
    }

    async delete(userId: string, etag: string): Promise<void> {
        const row = this.#rows.get(userId);
        if (!row) return;
        if (row.etag !== etag) throw new ConcurrencyConflictError();
        this.#rows.delete(userId);
    }

    async *list(options: ListOptions = {}): AsyncIterable<VersionedUserState> {
        for (const [userId] of [...this.#rows]) {
            const v = await this.read(userId);
            if (!v) continue;
            if (options.withIncidents && v.state.incidents.length === 0) continue;
            if (options.pendingWork && !hasPendingWork(v.state)) continue;
            yield v;
        }
    }

    /** Forgets users idle since before `cutoff` (event time) with no incident: keeps a long replay's memory flat. */
    evictIdle(cutoff: number): number {
        let evicted = 0;
        for (const [userId, row] of this.#rows) {
            if (row.lastEventTime < cutoff && row.incidents === 0) {
                this.#rows.delete(userId);
                evicted++;
            }
        }
        return evicted;
    }
}
