/** The request loop around every Graph call (shared/graph/callGraph.ts), with requests that misbehave. */
import { callGraph, GraphCallError } from '../../shared/graph/callGraph';
import { MAX_RETRIES_PER_STEP, MIN_WAIT_MS, retryAllowance } from '../../shared/graph/retryPolicy';
import { ConcurrencyLimit } from '../../shared/mapConcurrent';

const graphError = (statusCode: number, retryAfter?: string) =>
    Object.assign(new Error(`HTTP ${statusCode}`), {
        statusCode,
        code: statusCode === 403 ? 'Authorization_RequestDenied' : 'ServiceUnavailable',
        headers: { get: (name: string) => (name === 'retry-after' ? (retryAfter ?? null) : null) },
    });

/**
 * Unhandled rejections seen while a test runs. Node reports one once the microtask queue has drained, so the check
 * waits for the event loop to turn before it looks.
 */
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);
const eventLoopTurn = () => new Promise((r) => setTimeout(r, 20));

beforeEach(() => {
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
});
afterEach(async () => {
    await eventLoopTurn();
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
});

describe('callGraph', () => {
    it('times out a request that never settles and ignores its abort signal (a token request that hangs)', async () => {
        let attempts = 0;
        let clock = 0;
        const signals: AbortSignal[] = [];
        const error = await callGraph(
            (signal) => {
                attempts++;
                signals.push(signal);
                return new Promise<never>(() => undefined);
            },
            // A clock of its own: the pauses between tries take no real time.
            { callTimeoutMs: 30, budgetMs: 2000, now: () => clock, sleep: async (ms) => void (clock += ms) },
        ).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(GraphCallError);
        expect(error).toMatchObject({ graphCode: 'Timeout' });
        expect((error as GraphCallError).status).toBeUndefined();
        expect(attempts).toBeGreaterThan(1); // a timeout is retried within the budget
        expect(signals.every((s) => s.aborted)).toBe(true);
    });

    it('ignores the late outcome of a request it gave up on: no unhandled rejection, no effect', async () => {
        let settleLate: (() => void) | undefined;
        const signals: AbortSignal[] = [];
        const result = await callGraph(
            (signal) => {
                signals.push(signal);
                return settleLate === undefined
                    ? new Promise<string>((_, reject) => {
                          settleLate = () => reject(Object.assign(new Error('aborted late'), { name: 'AbortError' }));
                      })
                    : Promise.resolve('second try');
            },
            { callTimeoutMs: 20, budgetMs: 5000, sleep: async () => undefined },
        );
        expect(result).toBe('second try');
        expect(signals.map((s) => s.aborted)).toEqual([true, false]);
        settleLate!();
        await eventLoopTurn();
        expect(unhandled).toEqual([]);
    });

    it('retries 503 with Retry-After and stops at once on a 403', async () => {
        const waits: number[] = [];
        let calls = 0;
        const ok = await callGraph(
            async () => {
                if (++calls < 3) throw graphError(503, '2');
                return 'done';
            },
            { callTimeoutMs: 1000, budgetMs: 60_000, sleep: async (ms) => void waits.push(ms) },
        );
        expect(ok).toBe('done');
        // What Graph asked, at least; the second wait backs off further (2–4 s) whatever the header says.
        expect(waits[0]).toBe(2000);
        expect(waits[1]).toBeGreaterThanOrEqual(2000);
        expect(waits[1]).toBeLessThanOrEqual(4000);
        const refused = await callGraph(
            async () => {
                throw graphError(403);
            },
            { callTimeoutMs: 1000, budgetMs: 60_000, sleep: async () => undefined },
        ).catch((e: unknown) => e);
        expect(refused).toMatchObject({ status: 403, graphCode: 'Authorization_RequestDenied' });
    });

    it('turns a request that throws before it starts into a GraphCallError', async () => {
        const error = await callGraph(
            () => {
                throw new Error('bad input');
            },
            { callTimeoutMs: 1000, budgetMs: 10, sleep: async () => undefined },
        ).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(GraphCallError);
    });

    it('answers Retry-After: 0 with a floor and a cap, not a storm: a bounded number of calls, never under a second apart', async () => {
        let calls = 0;
        let clock = 0;
        const waits: number[] = [];
        const error = await callGraph(
            async () => {
                calls++;
                throw graphError(429, '0');
            },
            {
                callTimeoutMs: 1000,
                budgetMs: 10 * 60_000,
                now: () => clock,
                sleep: async (ms) => {
                    waits.push(ms);
                    clock += ms;
                },
            },
        ).catch((e: unknown) => e);
        expect(error).toMatchObject({ status: 429 });
        expect(calls).toBe(MAX_RETRIES_PER_STEP + 1);
        expect(Math.min(...waits)).toBeGreaterThanOrEqual(MIN_WAIT_MS);
        // Exponential: each wait at least the one before it.
        for (let i = 1; i < waits.length; i++) expect(waits[i]).toBeGreaterThanOrEqual(waits[i - 1]! * 0.99);
    });

    it('shares one allowance between the calls of a step: their retries together are capped', async () => {
        const allowance = retryAllowance();
        let calls = 0;
        const failing = () =>
            callGraph(
                async () => {
                    calls++;
                    throw graphError(503);
                },
                { callTimeoutMs: 1000, budgetMs: 60 * 60_000, allowance, sleep: async () => undefined },
            ).catch(() => undefined);
        await failing();
        await failing();
        await failing();
        // The first call spends the retries; the next two get one try each.
        expect(calls).toBe(MAX_RETRIES_PER_STEP + 3);
    });

    it('gives up on a Retry-After longer than the budget at once, and keeps when Graph asked to come back', async () => {
        let calls = 0;
        const t0 = 1_000_000;
        const error = await callGraph(
            async () => {
                calls++;
                throw graphError(429, '300');
            },
            { callTimeoutMs: 1000, budgetMs: 90_000, now: () => t0, sleep: async () => undefined },
        ).catch((e: unknown) => e);
        expect(calls).toBe(1);
        expect(error).toMatchObject({ status: 429, retryAt: t0 + 300_000 });
    });

    it('keeps at most the limit of requests in flight across callers, and starts nothing for one that gave up', async () => {
        const limit = new ConcurrencyLimit(2);
        let inFlight = 0;
        let most = 0;
        const started: number[] = [];
        const request = (n: number) => async () => {
            started.push(n);
            inFlight++;
            most = Math.max(most, inFlight);
            await new Promise((r) => setTimeout(r, 20));
            inFlight--;
            return n;
        };
        const results = await Promise.all(
            Array.from({ length: 10 }, (_, n) =>
                callGraph(request(n), { callTimeoutMs: 5000, budgetMs: 10_000, limit }),
            ),
        );
        expect(results).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        expect(most).toBe(2);
        // A call that times out while queued never starts its request.
        const blocker = limit.run(() => new Promise((r) => setTimeout(r, 200)));
        const blocker2 = limit.run(() => new Promise((r) => setTimeout(r, 200)));
        const queued = await callGraph(request(99), {
            callTimeoutMs: 30,
            budgetMs: 10,
            limit,
            sleep: async () => undefined,
        }).catch((e: unknown) => e);
        expect(queued).toMatchObject({ graphCode: 'Timeout' });
        await Promise.all([blocker, blocker2]);
        await new Promise((r) => setTimeout(r, 50));
        expect(started).not.toContain(99);
    });
});
