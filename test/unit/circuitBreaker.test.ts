/** The circuit breaker's pure rule (per-minute counts over the last hour) and the in-memory adapter. */
import { decide, MemoryCircuitBreaker, MinuteCounts } from '../../shared/containment/circuitBreaker';

const MIN = 60_000;
const NOW = Date.parse('2026-11-27T12:00:30Z');
const minute = (t: number) => String(Math.floor(t / MIN));

describe('circuit breaker: decide', () => {
    it('at cap 1: the first containment of the hour is allowed, the second is not, whatever its minute', () => {
        const first = decide({}, NOW, 1);
        expect(first.decision).toEqual({ acquired: true, inLastHour: 1 });
        expect(first.counts).toEqual({ [minute(NOW)]: 1 });
        const second = decide(first.counts!, NOW + 1000, 1);
        expect(second).toEqual({ decision: { acquired: false, inLastHour: 1 } });
        expect(decide(first.counts!, NOW + 59 * MIN, 1).decision.acquired).toBe(false);
    });

    it('counts the 60 whole minutes up to now: a slot leaves the window 60 minutes after its minute', () => {
        const counts = { [minute(NOW)]: 1 };
        const start = Math.floor(NOW / MIN) * MIN;
        expect(decide(counts, start + 60 * MIN - 1, 1).decision.acquired).toBe(false);
        const after = decide(counts, start + 60 * MIN, 1);
        expect(after.decision).toEqual({ acquired: true, inLastHour: 1 });
        // The old minute is gone from what is written.
        expect(after.counts).toEqual({ [minute(start + 60 * MIN)]: 1 });
    });

    it('does not take a slot when refused (nothing to write)', () => {
        const { counts } = decide({ [minute(NOW)]: 3 }, NOW, 3);
        expect(counts).toBeUndefined();
    });

    it('at cap 5,000: allows exactly 5,000 in any hour, and the counts never exceed 60 entries', () => {
        let counts: MinuteCounts = {};
        const acquiredAt: number[] = [];
        // Two attempts a second for two and a half hours: far more than the cap.
        for (let i = 0; i < 18_000; i++) {
            const now = NOW + i * 500;
            const r = decide(counts, now, 5000);
            if (r.decision.acquired) {
                acquiredAt.push(now);
                counts = r.counts!;
            }
            expect(r.decision.inLastHour).toBeLessThanOrEqual(5000);
            expect(Object.keys(counts).length).toBeLessThanOrEqual(60);
        }
        // The cap is reached within the first hour (5,000 in a row, then refusals), and later hours get slots
        // again as minutes leave the window.
        expect(acquiredAt[4999]).toBe(NOW + 4999 * 500);
        expect(acquiredAt[5000]).toBeGreaterThan(NOW + 5000 * 500);
        expect(acquiredAt.length).toBeGreaterThan(10_000);
        // No window of 60 whole minutes ever holds more than 5,000.
        const perMinute = new Map<number, number>();
        for (const t of acquiredAt) perMinute.set(Math.floor(t / MIN), (perMinute.get(Math.floor(t / MIN)) ?? 0) + 1);
        const minutes = [...perMinute.keys()];
        for (const m of minutes) {
            let sum = 0;
            for (let k = m - 59; k <= m; k++) sum += perMinute.get(k) ?? 0;
            expect(sum).toBeLessThanOrEqual(5000);
        }
        expect(JSON.stringify(counts).length).toBeLessThan(60 * 20);
    });

    it('ignores junk in the stored counts and does not write it back', () => {
        const junk = {
            [minute(NOW)]: 2,
            abc: 5,
            '': 7,
            [`${minute(NOW)}.5`]: 9,
            [minute(NOW - MIN)]: -4,
            [minute(NOW - 2 * MIN)]: 1.5,
            [minute(NOW - 3 * MIN)]: 'many',
            [minute(NOW - 4 * MIN)]: null,
        } as unknown as MinuteCounts;
        const r = decide(junk, NOW, 10);
        expect(r.decision).toEqual({ acquired: true, inLastHour: 3 });
        expect(r.counts).toEqual({ [minute(NOW)]: 3 });
    });

    it('counts a minute however it was spelled, once, so that the row stays at 60 entries at most', () => {
        const m = Math.floor(NOW / MIN);
        const spellings: Record<string, number> = {};
        for (let i = 0; i < 100; i++) spellings[`${'0'.repeat(i)}${m - (i % 60)}`] = 1;
        const r = decide(spellings, NOW, 5000);
        expect(r.decision).toEqual({ acquired: true, inLastHour: 101 });
        expect(Object.keys(r.counts!)).toHaveLength(60);
        expect(Object.values(r.counts!).reduce((a, b) => a + b, 0)).toBe(101);
    });
});

describe('MemoryCircuitBreaker', () => {
    it('keeps its counts between acquisitions', async () => {
        const breaker = new MemoryCircuitBreaker();
        expect(await breaker.tryAcquire(NOW, 2)).toEqual({ acquired: true, inLastHour: 1 });
        expect(await breaker.tryAcquire(NOW + 1, 2)).toEqual({ acquired: true, inLastHour: 2 });
        expect(await breaker.tryAcquire(NOW + 2, 2)).toEqual({ acquired: false, inLastHour: 2 });
        expect(await breaker.tryAcquire(NOW + 61 * MIN, 2)).toEqual({ acquired: true, inLastHour: 1 });
    });
});
