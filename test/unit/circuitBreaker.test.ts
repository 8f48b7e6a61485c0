/** The circuit breaker's pure rule (per-minute counts over the last hour) and the in-memory adapter. */
import {
    decide,
    decideShared,
    MAX_SHARED_KEYS,
    MemoryCircuitBreaker,
    MinuteCounts,
} from '../../shared/containment/circuitBreaker';

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
        let maxInLastHour = 0;
        let maxEntries = 0;
        // Two attempts a second for 100 minutes: far more than the cap.
        for (let i = 0; i < 12_000; i++) {
            const now = NOW + i * 500;
            const r = decide(counts, now, 5000);
            if (r.decision.acquired) {
                acquiredAt.push(now);
                counts = r.counts!;
            }
            maxInLastHour = Math.max(maxInLastHour, r.decision.inLastHour);
            maxEntries = Math.max(maxEntries, Object.keys(counts).length);
        }
        expect(maxInLastHour).toBe(5000);
        expect(maxEntries).toBeLessThanOrEqual(60);
        // The cap is reached within the first hour (5,000 in a row, then refusals), and later hours get slots
        // again as minutes leave the window.
        expect(acquiredAt[4999]).toBe(NOW + 4999 * 500);
        expect(acquiredAt[5000]).toBeGreaterThan(NOW + 5000 * 500);
        expect(acquiredAt.length).toBeGreaterThan(6000);
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

    it('never drops a slot stored for a later minute (another instance at a minute boundary, or a retry)', () => {
        // Instance B took a slot at 12:01:00.010; instance A, which read the time at 12:00:59.990, retries after a
        // conflict with that time.
        const boundary = Math.ceil(NOW / MIN) * MIN;
        const b = decide({}, boundary + 10, 10);
        const a = decide(b.counts!, boundary - 10, 10);
        expect(a.decision).toEqual({ acquired: true, inLastHour: 2 });
        expect(a.counts).toEqual({ [minute(boundary)]: 1, [minute(boundary - 10)]: 1 });
        // At cap 1, B's slot is the one of the hour.
        expect(decide(b.counts!, boundary - 10, 1).decision).toEqual({ acquired: false, inLastHour: 1 });
        // A few minutes of clock skew count too; the window then ends at the newest minute.
        const ahead = { [minute(NOW + 5 * MIN)]: 1, [minute(NOW - 56 * MIN)]: 1 };
        expect(decide(ahead, NOW, 10)).toEqual({
            decision: { acquired: true, inLastHour: 2 },
            counts: { [minute(NOW + 5 * MIN)]: 1, [minute(NOW)]: 1 },
        });
    });

    it('ignores a minute far ahead (a broken clock, junk): it cannot hold the breaker shut', () => {
        const r = decide({ [minute(NOW + 6 * MIN)]: 1, [minute(NOW + 1e6 * MIN)]: 10_000 }, NOW, 1);
        expect(r).toEqual({ decision: { acquired: true, inLastHour: 1 }, counts: { [minute(NOW)]: 1 } });
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
        expect(await breaker.tryAcquire({ now: NOW, max: 2 })).toEqual({ acquired: true, inLastHour: 1 });
        expect(await breaker.tryAcquire({ now: NOW + 1, max: 2 })).toEqual({ acquired: true, inLastHour: 2 });
        expect(await breaker.tryAcquire({ now: NOW + 2, max: 2 })).toEqual({ acquired: false, inLastHour: 2 });
        expect(await breaker.tryAcquire({ now: NOW + 61 * MIN, max: 2 })).toEqual({ acquired: true, inLastHour: 1 });
    });
});

describe('circuit breaker: shared slots (a push-spray campaign is one decision)', () => {
    it('every request with the same share key within the hour shares one slot; a redelivery takes none', async () => {
        const breaker = new MemoryCircuitBreaker();
        const campaign = { max: 2, shareKey: 'campaign:20261127T115500000Z-address-3f2a' };
        const first = await breaker.tryAcquire({ now: NOW, ...campaign });
        expect(first).toEqual({ acquired: true, inLastHour: 1 });
        for (let i = 1; i <= 30; i++) {
            expect(await breaker.tryAcquire({ now: NOW + i * 1000, ...campaign })).toEqual({
                acquired: true,
                inLastHour: 1,
                shared: true,
            });
        }
        // One slot of the two is left for everyone else.
        expect(await breaker.tryAcquire({ now: NOW + 40_000, max: 2 })).toEqual({ acquired: true, inLastHour: 2 });
        expect(await breaker.tryAcquire({ now: NOW + 41_000, max: 2 })).toEqual({ acquired: false, inLastHour: 2 });
        // The campaign still shares the slot it took, even with the breaker full.
        expect((await breaker.tryAcquire({ now: NOW + 42_000, ...campaign })).acquired).toBe(true);
    });

    it('a share key takes a new slot an hour after its first, and another key takes its own', () => {
        const a = decideShared({ counts: {} }, { now: NOW, max: 10, shareKey: 'campaign:a' });
        expect(a.decision).toEqual({ acquired: true, inLastHour: 1 });
        const again = decideShared(a.state!, { now: NOW + 5 * MIN, max: 10, shareKey: 'campaign:a' });
        expect(again).toEqual({ decision: { acquired: true, inLastHour: 1, shared: true } });
        const b = decideShared(a.state!, { now: NOW + 5 * MIN, max: 10, shareKey: 'campaign:b' });
        expect(b.decision).toEqual({ acquired: true, inLastHour: 2 });
        const later = decideShared(b.state!, { now: NOW + 61 * MIN, max: 10, shareKey: 'campaign:a' });
        expect(later.decision.shared).toBeUndefined();
        expect(later.decision.acquired).toBe(true);
    });

    it('remembers at most MAX_SHARED_KEYS keys, the newest, stored as short hashes whatever the key', () => {
        let state = { counts: {} } as Parameters<typeof decideShared>[0];
        for (let i = 0; i < MAX_SHARED_KEYS + 200; i++) {
            const r = decideShared(state, {
                now: NOW + Math.floor(i / 20) * 1000,
                max: 10_000,
                shareKey: `campaign:${'x'.repeat(500)}${i}`,
            });
            state = r.state ?? state;
        }
        const keys = Object.keys(state.shared ?? {});
        expect(keys).toHaveLength(MAX_SHARED_KEYS);
        expect(keys.every((k) => /^[0-9a-f]{16}$/.test(k))).toBe(true);
        expect(JSON.stringify(state.shared).length).toBeLessThan(32_000);
    });
});
