/** When a Graph call is tried again (shared/graph/retryPolicy.ts), with explicit clocks and random numbers. */
import { backoffMs, isRetryable, MAX_BACKOFF_MS, nextRetryDelay, retryAfterMs } from '../../shared/graph/retryPolicy';

const NOW = Date.parse('2026-11-27T12:00:00Z');

describe('retryAfterMs', () => {
    it('reads seconds, with decimals as Graph sends them in $batch', () => {
        expect(retryAfterMs('5', NOW)).toBe(5000);
        expect(retryAfterMs('0.5', NOW)).toBe(500);
        expect(retryAfterMs('0', NOW)).toBe(0);
    });

    it('reads an HTTP date, and a date in the past means now', () => {
        expect(retryAfterMs(new Date(NOW + 10_000).toUTCString(), NOW)).toBe(10_000);
        expect(retryAfterMs('Fri, 27 Nov 2026 11:59:00 GMT', NOW)).toBe(0);
    });

    it('never waits a negative time, and has no answer for a missing or unreadable header', () => {
        expect(retryAfterMs('-3', NOW)).toBe(0);
        expect(retryAfterMs(undefined, NOW)).toBeUndefined();
        expect(retryAfterMs(null, NOW)).toBeUndefined();
        expect(retryAfterMs('', NOW)).toBeUndefined();
        expect(retryAfterMs('soon', NOW)).toBeUndefined();
    });
});

describe('backoffMs', () => {
    it('doubles from 0.5–1 s, with jitter, up to 30 s', () => {
        expect(backoffMs(0, 0)).toBe(500);
        expect(backoffMs(0, 0.999_999)).toBeCloseTo(1000, 0);
        expect(backoffMs(1, 0)).toBe(1000);
        expect(backoffMs(3, 0.5)).toBe(6000);
        for (let attempt = 0; attempt < 40; attempt++) {
            for (const random of [0, 0.25, 0.5, 0.999_999]) {
                const wait = backoffMs(attempt, random);
                expect(wait).toBeGreaterThanOrEqual(Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt) / 2);
                expect(wait).toBeLessThanOrEqual(MAX_BACKOFF_MS);
            }
        }
        expect(backoffMs(10, 0.999_999)).toBeCloseTo(MAX_BACKOFF_MS, -1);
    });
});

describe('isRetryable', () => {
    it('retries throttling, transient server errors and calls without an answer (network, timeout)', () => {
        for (const s of [429, 500, 502, 503, 504, undefined]) expect(isRetryable(s)).toBe(true);
    });
    it('does not retry answers that another try cannot change', () => {
        for (const s of [400, 401, 403, 404, 409, 412, 501]) expect(isRetryable(s)).toBe(false);
    });
});

describe('nextRetryDelay', () => {
    const base = { attempt: 0, retryAfter: undefined, now: NOW, deadline: NOW + 60_000, random: 0 };

    it('waits what Graph asked (Retry-After) rather than its own backoff', () => {
        expect(nextRetryDelay({ ...base, status: 429, retryAfter: '7' })).toBe(7000);
        expect(nextRetryDelay({ ...base, status: 503, retryAfter: new Date(NOW + 3000).toUTCString() })).toBe(3000);
    });

    it('backs off when Graph did not say', () => {
        expect(nextRetryDelay({ ...base, status: 502, attempt: 2 })).toBe(2000);
        expect(nextRetryDelay({ ...base, status: undefined, attempt: 0 })).toBe(500);
    });

    it('gives up at once on a final answer', () => {
        expect(nextRetryDelay({ ...base, status: 403 })).toBeUndefined();
        expect(nextRetryDelay({ ...base, status: 400, retryAfter: '1' })).toBeUndefined();
    });

    it('gives up when the wait would end at or past the deadline (the timer tries later)', () => {
        expect(nextRetryDelay({ ...base, status: 429, retryAfter: '60' })).toBeUndefined();
        expect(nextRetryDelay({ ...base, status: 429, retryAfter: '59.999' })).toBe(59_999);
        expect(nextRetryDelay({ ...base, status: 503, attempt: 10, deadline: NOW + 10_000 })).toBeUndefined();
        expect(nextRetryDelay({ ...base, status: 503, now: NOW + 60_000 })).toBeUndefined();
    });
});
