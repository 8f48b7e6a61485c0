import { ResponderError } from '../errors';
import { nextRetryDelay } from './retryPolicy';

/** A Graph call that failed for good, with what Graph said. Stored on the incident step. */
export class GraphCallError extends ResponderError {
    /** HTTP status, or undefined for a network error or timeout. */
    readonly status?: number;
    /** Graph's `error.code` (e.g. Authorization_RequestDenied), or a local code (Timeout, NetworkError). */
    readonly graphCode: string;
    constructor(message: string, init: { status?: number; graphCode: string; cause?: unknown }) {
        super('GraphCallFailed', message, { cause: init.cause });
        if (init.status !== undefined) this.status = init.status;
        this.graphCode = init.graphCode;
    }
}

export interface CallGraphOptions {
    /** Timeout of one request, ms. */
    readonly callTimeoutMs: number;
    /** Total time for all attempts, ms: beyond it the failure is returned and the timer retries later. */
    readonly budgetMs: number;
    readonly sleep?: (ms: number) => Promise<void>;
    readonly now?: () => number;
}

interface GraphErrorLike {
    statusCode?: number;
    code?: string | null;
    message?: string;
    headers?: { get(name: string): string | null };
    name?: string;
}

function toGraphCallError(e: unknown, timedOut: boolean): GraphCallError {
    if (e instanceof GraphCallError) return e;
    const g = e as GraphErrorLike;
    if (timedOut || g?.name === 'AbortError' || g?.name === 'TimeoutError') {
        return new GraphCallError('Graph request timed out', { graphCode: 'Timeout', cause: e });
    }
    // GraphError: statusCode -1 means the request never got an HTTP answer.
    if (typeof g?.statusCode === 'number' && g.statusCode > 0) {
        return new GraphCallError(g.message || `HTTP ${g.statusCode}`, {
            status: g.statusCode,
            graphCode: g.code || `Http${g.statusCode}`,
            cause: e,
        });
    }
    return new GraphCallError(`Graph unreachable: ${g?.message ?? String(e)}`, { graphCode: 'NetworkError', cause: e });
}

/**
 * Runs one Graph request with the responder's retry policy: 429, 500, 502, 503, 504, network errors and timeouts are
 * retried, honouring Retry-After when Graph sends it and backing off exponentially (with jitter) when it does not,
 * until `budgetMs` is spent. Everything else (400, 403, 404, ...) fails at once. Always ends in a value or a
 * GraphCallError.
 */
export async function callGraph<T>(
    request: (signal: AbortSignal) => Promise<T>,
    options: CallGraphOptions,
): Promise<T> {
    const now = options.now ?? Date.now;
    const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const deadline = now() + options.budgetMs;
    for (let attempt = 0; ; attempt++) {
        const controller = new AbortController();
        let timedOut = false;
        let timer: ReturnType<typeof setTimeout> | undefined;
        // The timeout does not rely on the request honouring the signal: a token request the SDK makes before the
        // call (the managed identity endpoint in a brownout) does not, and would otherwise hold the call for ever.
        const timeout = new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
                timedOut = true;
                controller.abort();
                reject(new GraphCallError('Graph request timed out', { graphCode: 'Timeout' }));
            }, options.callTimeoutMs);
        });
        const pending = new Promise<T>((resolve) => resolve(request(controller.signal)));
        // A request given up on may still settle later; its outcome is no longer anyone's.
        pending.catch(() => undefined);
        let error: GraphCallError;
        let retryAfter: string | null | undefined;
        try {
            return await Promise.race([pending, timeout]);
        } catch (e) {
            error = toGraphCallError(e, timedOut);
            retryAfter = (e as GraphErrorLike)?.headers?.get?.('retry-after');
        } finally {
            clearTimeout(timer);
        }
        const wait = nextRetryDelay({
            attempt,
            status: error.status,
            retryAfter,
            now: now(),
            deadline,
            random: Math.random(),
        });
        if (wait === undefined) throw error;
        await sleep(wait);
    }
}
