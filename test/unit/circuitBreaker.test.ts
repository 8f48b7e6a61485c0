/** The circuit breaker's pure rule (per-minute counts over the last hour) and the in-memory adapter. */
import {
    decide as decideState,
    MAX_HELD,
    MAX_SHARE_KEYS,
    MemoryCircuitBreaker,
    MinuteCounts,
} from '../../shared/containment/circuitBreaker';

/** The counting rule alone: a plain request (no share key, normal confidence, no holder), as the rule was first written. */
function decide(counts: MinuteCounts, now: number, max: number) {
    const { decision, state } = decideState({ counts }, { now, max });
    const { held: _held, ...rest } = decision;
    return state ? { decision: rest, counts: state.counts } : { decision: rest };
}

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
        const at = (now: number) => breaker.tryAcquire({ now, max: 2 });
        expect(await at(NOW)).toEqual({ acquired: true, inLastHour: 1, held: [] });
        expect(await at(NOW + 1)).toEqual({ acquired: true, inLastHour: 2, held: [] });
        expect(await at(NOW + 2)).toEqual({ acquired: false, inLastHour: 2, held: [] });
        expect(await at(NOW + 61 * MIN)).toEqual({ acquired: true, inLastHour: 1, held: [] });
    });
});

describe('circuit breaker: share keys, confidence, held users', () => {
    it('every request with the same share key within the hour shares one slot', async () => {
        const breaker = new MemoryCircuitBreaker();
        const campaign = (now: number) => breaker.tryAcquire({ now, max: 3, shareKey: 'campaign:c-1' });
        expect(await campaign(NOW)).toMatchObject({ acquired: true, inLastHour: 1 });
        // Twenty users of one campaign: one decision, one slot.
        for (let i = 1; i <= 20; i++)
            expect(await campaign(NOW + i * 1000)).toMatchObject({ acquired: true, shared: true, inLastHour: 1 });
        expect(await breaker.tryAcquire({ now: NOW + 30_000, max: 3, shareKey: 'campaign:c-2' })).toMatchObject({
            acquired: true,
            inLastHour: 2,
        });
        expect(await breaker.peek(NOW + 30_000)).toBe(2);
        // An hour after its slot, the key is forgotten with it: a new decision.
        expect(await campaign(NOW + 61 * MIN)).toMatchObject({ acquired: true, inLastHour: 1 });
        expect((await campaign(NOW + 61 * MIN + 1)).shared).toBe(true);
    });

    it('a retried containment of one incident (same key) never takes a second slot', async () => {
        const breaker = new MemoryCircuitBreaker();
        const key = 'incident:20261102T091445000Z-threshold-u1';
        await breaker.tryAcquire({ now: NOW, max: 10, shareKey: key });
        expect(await breaker.tryAcquire({ now: NOW + 5000, max: 10, shareKey: key })).toMatchObject({
            shared: true,
            inLastHour: 1,
        });
    });

    it('remembers at most MAX_SHARE_KEYS keys, each a fixed-size hash, the newest kept', () => {
        let state = { counts: {} } as Parameters<typeof decideState>[0];
        for (let i = 0; i < 1000; i++) {
            const r = decideState(state, { now: NOW + i, max: 10_000, shareKey: `campaign:${'x'.repeat(500)}-${i}` });
            state = r.state!;
        }
        const keys = Object.keys(state.shared!);
        expect(keys).toHaveLength(MAX_SHARE_KEYS);
        expect(keys.every((k) => k.length === 22)).toBe(true);
        expect(JSON.stringify(state).length).toBeLessThan(20_000);
        // The newest is still known.
        expect(
            decideState(state, { now: NOW + 1000, max: 10_000, shareKey: `campaign:${'x'.repeat(500)}-999` }).decision
                .shared,
        ).toBe(true);
    });

    it('past the cap, holds a normal request and names its user; never holds a high-confidence one', async () => {
        const breaker = new MemoryCircuitBreaker();
        for (let i = 0; i < 10; i++) await breaker.tryAcquire({ now: NOW, max: 10, holder: `decoy${i}@contoso.com` });
        const held = await breaker.tryAcquire({ now: NOW + 1000, max: 10, holder: 'victim@contoso.com' });
        expect(held).toEqual({ acquired: false, inLastHour: 10, held: ['victim@contoso.com'] });
        const again = await breaker.tryAcquire({ now: NOW + 2000, max: 10, holder: 'other@contoso.com' });
        expect(again.held).toEqual(['victim@contoso.com', 'other@contoso.com']);
        const high = await breaker.tryAcquire({
            now: NOW + 3000,
            max: 10,
            confidence: 'high',
            holder: 'victim@contoso.com',
        });
        expect(high).toMatchObject({ acquired: true, overCap: true, inLastHour: 11 });
        // A held user is named once, and the list is bounded.
        for (let i = 0; i < 100; i++)
            await breaker.tryAcquire({ now: NOW + 4000, max: 10, holder: `u${i % 40}@contoso.com` });
        const last = await breaker.tryAcquire({ now: NOW + 5000, max: 10, holder: 'u39@contoso.com' });
        expect(last.held).toHaveLength(MAX_HELD);
        expect(new Set(last.held).size).toBe(MAX_HELD);
        // An hour later the held list is empty again.
        expect((await breaker.tryAcquire({ now: NOW + 62 * MIN, max: 10 })).held).toEqual([]);
    });

    it('ignores junk in the stored share keys and held list', () => {
        const junk = {
            counts: {},
            shared: { a: 'x', b: 1.5 },
            held: [[1, 2], 'x', ['ok@contoso.com', Math.floor(NOW / MIN)]],
        };
        const r = decideState(junk as never, { now: NOW, max: 0, holder: 'v@contoso.com' });
        expect(r.decision.held).toEqual(['ok@contoso.com', 'v@contoso.com']);
        expect(r.state!.shared).toEqual({});
    });
});
