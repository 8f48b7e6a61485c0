/** When a Graph call is tried again (shared/graph/retryPolicy.ts), with explicit clocks and random numbers. */
import {
    backoffMs,
    isRetryable,
    MAX_BACKOFF_MS,
    MAX_RETRIES_PER_STEP,
    MAX_RETRY_AFTER_MS,
    MIN_WAIT_MS,
    nextRetryDelay,
    retryAfterMs,
} from '../../shared/graph/retryPolicy';

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

    it('never waits a negative time nor longer than an hour, and has no answer for a missing or unreadable header', () => {
        expect(retryAfterMs('-3', NOW)).toBe(0);
        expect(retryAfterMs('86400', NOW)).toBe(MAX_RETRY_AFTER_MS);
        expect(retryAfterMs(undefined, NOW)).toBeUndefined();
        expect(retryAfterMs(null, NOW)).toBeUndefined();
        expect(retryAfterMs('', NOW)).toBeUndefined();
        expect(retryAfterMs('soon', NOW)).toBeUndefined();
    });
});

describe('backoffMs', () => {
    it('doubles from 1–2 s, with jitter, never under a second, up to 30 s', () => {
        expect(backoffMs(0, 0)).toBe(1000);
        expect(backoffMs(0, 0.999_999)).toBeCloseTo(2000, 0);
        expect(backoffMs(1, 0)).toBe(2000);
        expect(backoffMs(3, 0.5)).toBe(12_000);
        for (let attempt = 0; attempt < 40; attempt++) {
            for (const random of [0, 0.25, 0.5, 0.999_999]) {
                const wait = backoffMs(attempt, random);
                expect(wait).toBeGreaterThanOrEqual(Math.min(MAX_BACKOFF_MS, MIN_WAIT_MS * 2 ** attempt));
                expect(wait).toBeLessThanOrEqual(MAX_BACKOFF_MS);
            }
        }
        expect(backoffMs(10, 0)).toBe(MAX_BACKOFF_MS);
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
    const base = (used = 0) => ({
        retryAfter: undefined,
        now: NOW,
        deadline: NOW + 60_000,
        random: 0,
        allowance: { used, max: MAX_RETRIES_PER_STEP },
    });

    it('waits what Graph asked (Retry-After) when it is longer than its own backoff', () => {
        expect(nextRetryDelay({ ...base(), status: 429, retryAfter: '7' })).toEqual({ wait: 7000 });
        expect(nextRetryDelay({ ...base(), status: 503, retryAfter: new Date(NOW + 3000).toUTCString() })).toEqual({
            wait: 3000,
        });
    });

    it('never waits under a second, and keeps backing off from a service that keeps saying 0 or 1', () => {
        expect(nextRetryDelay({ ...base(), status: 429, retryAfter: '0' })).toEqual({ wait: 1000 });
        expect(nextRetryDelay({ ...base(), status: 429, retryAfter: '0.001' })).toEqual({ wait: 1000 });
        expect(nextRetryDelay({ ...base(3), status: 429, retryAfter: '0' })).toEqual({ wait: 8000 });
        expect(nextRetryDelay({ ...base(4), status: 429, retryAfter: '1' })).toEqual({ wait: 16_000 });
    });

    it('backs off when Graph did not say', () => {
        expect(nextRetryDelay({ ...base(2), status: 502 })).toEqual({ wait: 4000 });
        expect(nextRetryDelay({ ...base(0), status: undefined })).toEqual({ wait: 1000 });
    });

    it('gives up at once on a final answer', () => {
        expect(nextRetryDelay({ ...base(), status: 403 })).toEqual({ giveUp: 'final' });
        expect(nextRetryDelay({ ...base(), status: 400, retryAfter: '1' })).toEqual({ giveUp: 'final' });
    });

    it('gives up when the step has used its retries, saying when the service asked to come back', () => {
        expect(nextRetryDelay({ ...base(MAX_RETRIES_PER_STEP), status: 503 })).toEqual({ giveUp: 'attempts' });
        expect(nextRetryDelay({ ...base(MAX_RETRIES_PER_STEP), status: 429, retryAfter: '5' })).toEqual({
            giveUp: 'attempts',
            retryAt: NOW + 5000,
        });
    });

    it("gives up when the wait would end at or past the deadline, keeping the service's wait (the timer honours it)", () => {
        expect(nextRetryDelay({ ...base(), status: 429, retryAfter: '60' })).toEqual({
            giveUp: 'deadline',
            retryAt: NOW + 60_000,
        });
        expect(nextRetryDelay({ ...base(), status: 429, retryAfter: '600' })).toEqual({
            giveUp: 'deadline',
            retryAt: NOW + 600_000,
        });
        expect(nextRetryDelay({ ...base(), status: 429, retryAfter: '59.999' })).toEqual({ wait: 59_999 });
        expect(nextRetryDelay({ ...base(5), status: 503, deadline: NOW + 10_000 })).toEqual({ giveUp: 'deadline' });
        expect(nextRetryDelay({ ...base(), status: 503, now: NOW + 60_000 })).toEqual({ giveUp: 'deadline' });
    });
});
