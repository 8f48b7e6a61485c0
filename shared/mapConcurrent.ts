/**
 * Bounded concurrency, the one way the responder runs many things at once: over a list (`mapConcurrent`), over a
 * stream of items it never holds all of (`forEachConcurrent`), and around calls made from many places
 * (`ConcurrencyLimit`). Whatever the number of items, at most `limit` are in flight and memory follows the limit.
 */

/** Runs `fn` over `items` with at most `limit` in flight; settles every item, like Promise.allSettled. */
export async function mapConcurrent<T, R>(
    items: readonly T[],
    limit: number,
    fn: (item: T) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
    const results = new Array<PromiseSettledResult<R>>(items.length);
    let next = 0;
    const worker = async (): Promise<void> => {
        while (next < items.length) {
            const i = next++;
            try {
                results[i] = { status: 'fulfilled', value: await fn(items[i]!) };
            } catch (reason) {
                results[i] = { status: 'rejected', reason };
            }
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return results;
}

/**
 * Runs `fn` over the items of an (async) iterable with at most `limit` in flight, pulling the next item only when a
 * slot is free: a listing of thousands of rows is never held at once. `fn` must not throw (a thrown error is
 * re-thrown once every started item has ended).
 */
export async function forEachConcurrent<T>(
    items: AsyncIterable<T> | Iterable<T>,
    limit: number,
    fn: (item: T) => Promise<void>,
): Promise<void> {
    const iterator = Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : items[Symbol.iterator]();
    let failure: { error: unknown } | undefined;
    let pulling: Promise<IteratorResult<T>> = Promise.resolve(iterator.next());
    const take = async (): Promise<IteratorResult<T>> => {
        // One pull at a time: iterators (a table listing) are not safe to advance concurrently.
        const result = pulling.then((r) => r);
        pulling = result.then((r) => (r.done ? r : Promise.resolve(iterator.next())));
        return result;
    };
    const worker = async (): Promise<void> => {
        for (;;) {
            if (failure) return;
            const r = await take();
            if (r.done) return;
            try {
                await fn(r.value);
            } catch (error) {
                failure ??= { error };
            }
        }
    };
    await Promise.all(Array.from({ length: Math.max(1, limit) }, worker));
    if (failure) throw failure.error;
}

/** The caller gave up (its signal aborted) while waiting for a slot: nothing was started. */
export class LimitWaitAborted extends Error {
    constructor() {
        super('gave up waiting for a free slot');
        this.name = 'AbortError';
    }
}

/**
 * At most `max` calls in flight, across every caller that shares this object; the others wait their turn, in order.
 * A waiter whose signal aborts leaves the queue without ever starting.
 */
export class ConcurrencyLimit {
    #active = 0;
    readonly #waiting: Array<() => void> = [];
    constructor(readonly max: number) {}

    get active(): number {
        return this.#active;
    }

    async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
        if (this.#active >= this.max) {
            await new Promise<void>((resolve, reject) => {
                const start = () => {
                    signal?.removeEventListener('abort', abort);
                    resolve();
                };
                const abort = () => {
                    const i = this.#waiting.indexOf(start);
                    if (i >= 0) this.#waiting.splice(i, 1);
                    reject(new LimitWaitAborted());
                };
                if (signal?.aborted) return reject(new LimitWaitAborted());
                signal?.addEventListener('abort', abort, { once: true });
                this.#waiting.push(start);
            });
        } else {
            this.#active++;
        }
        try {
            return await fn();
        } finally {
            // The slot passes straight to the next waiter (the count stays), or is freed.
            const next = this.#waiting.shift();
            if (next) next();
            else this.#active--;
        }
    }
}
