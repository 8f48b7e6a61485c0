/** The request loop around every Graph call (shared/graph/callGraph.ts), with requests that misbehave. */
import { callGraph, GraphCallError } from '../../shared/graph/callGraph';

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
        expect(waits).toEqual([2000, 2000]);
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
});
