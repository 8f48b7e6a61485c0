/** Bounded concurrency (shared/mapConcurrent.ts): at most the limit in flight, whatever the number of items. */
import { ConcurrencyLimit, forEachConcurrent, mapConcurrent } from '../../shared/mapConcurrent';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('forEachConcurrent', () => {
    it('runs every item of an async stream with at most `limit` in flight, pulling items only as slots free', async () => {
        let inFlight = 0;
        let most = 0;
        let pulled = 0;
        let done = 0;
        async function* items(): AsyncGenerator<number> {
            for (let i = 0; i < 1000; i++) {
                pulled++;
                // The stream is never read far ahead of the work: at most the slots plus one waiting item.
                expect(pulled - done).toBeLessThanOrEqual(5);
                yield i;
            }
        }
        await forEachConcurrent(items(), 4, async () => {
            inFlight++;
            most = Math.max(most, inFlight);
            await tick();
            inFlight--;
            done++;
        });
        expect(done).toBe(1000);
        expect(most).toBe(4);
    });

    it('finishes the started items, then throws the first failure', async () => {
        const seen: number[] = [];
        await expect(
            forEachConcurrent([1, 2, 3, 4, 5, 6], 2, async (n) => {
                seen.push(n);
                await tick();
                if (n === 2) throw new Error('two');
            }),
        ).rejects.toThrow('two');
        expect(seen.length).toBeLessThan(6);
    });
});

describe('ConcurrencyLimit', () => {
    it('lets at most `max` run across callers, in order, and a waiter that gives up never runs', async () => {
        const limit = new ConcurrencyLimit(2);
        const order: number[] = [];
        let most = 0;
        const job = (n: number) => async () => {
            order.push(n);
            most = Math.max(most, limit.active);
            await tick();
        };
        const aborted = new AbortController();
        const all = [1, 2, 3].map((n) => limit.run(job(n)));
        const gaveUp = limit.run(job(99), aborted.signal).catch((e: Error) => e.name);
        all.push(limit.run(job(4)));
        aborted.abort();
        await Promise.all(all);
        expect(await gaveUp).toBe('AbortError');
        expect(order).toEqual([1, 2, 3, 4]);
        expect(most).toBe(2);
        expect(limit.active).toBe(0);
    });
});

describe('mapConcurrent', () => {
    it('settles every item like Promise.allSettled', async () => {
        const results = await mapConcurrent([1, 2, 3], 2, async (n) => {
            if (n === 2) throw new Error('no');
            return n * 10;
        });
        expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    });
});
