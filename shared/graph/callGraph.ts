import { ResponderError } from '../errors';
import type { ConcurrencyLimit } from '../mapConcurrent';
import { redactSecrets } from '../redact';
import { nextRetryDelay, RetryAllowance, retryAllowance } from './retryPolicy';

/** The longest error message a Graph failure keeps (stored on the step, logged, notified). */
export const MAX_GRAPH_MESSAGE = 300;

/** A Graph call that failed for good, with what Graph said. Stored on the incident step. */
export class GraphCallError extends ResponderError {
    /** HTTP status, or undefined for a network error or timeout. */
    readonly status?: number;
    /** Graph's `error.code` (e.g. Authorization_RequestDenied), or a local code (Timeout, NetworkError). */
    readonly graphCode: string;
    /** When Graph asked to be called again (Retry-After), ms: the step keeps it and the timer waits until then. */
    readonly retryAt?: number;
    /**
     * The message is always Graph's own, redacted (redactSecrets): a service that echoes what it was sent (a
     * request body with a generated password) must not put it into the incident, the logs or a notice.
     */
    constructor(message: string, init: { status?: number; graphCode: string; retryAt?: number; cause?: unknown }) {
        super('GraphCallFailed', redactSecrets(message, MAX_GRAPH_MESSAGE), { cause: init.cause });
        if (init.status !== undefined) this.status = init.status;
        this.graphCode = redactSecrets(init.graphCode, 100);
        if (init.retryAt !== undefined) this.retryAt = init.retryAt;
    }

    /** The same failure, with when the service asked to be called again. */
    withRetryAt(retryAt: number | undefined): GraphCallError {
        if (retryAt === undefined) return this;
        return new GraphCallError(this.message, {
            ...(this.status !== undefined ? { status: this.status } : {}),
            graphCode: this.graphCode,
            retryAt,
            cause: this.cause,
        });
    }
}

export interface CallGraphOptions {
    /** Timeout of one request, ms. */
    readonly callTimeoutMs: number;
    /** Total time for all attempts, ms: beyond it the failure is returned and the timer retries later. */
    readonly budgetMs: number;
    /**
     * Retries left to the step this call belongs to, shared by all its calls (retryPolicy.ts MAX_RETRIES_PER_STEP);
     * a call on its own gets a fresh allowance.
     */
    readonly allowance?: RetryAllowance;
    /** Requests in flight at once across the worker (GRAPH_CONCURRENCY); waiting for a slot counts in the timeout. */
    readonly limit?: ConcurrencyLimit;
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
 * Runs one Graph request with the responder's retry policy (retryPolicy.ts): 429, 500, 502, 503, 504, network errors
 * and timeouts are retried after at least a second, honouring Retry-After and backing off exponentially (with
 * jitter) beyond it, until `budgetMs` is spent or the step's retries are. Everything else (400, 403, 404, ...) fails
 * at once. Always ends in a value or a GraphCallError; one that gave up on a Retry-After carries `retryAt`.
 */
export async function callGraph<T>(
    request: (signal: AbortSignal) => Promise<T>,
    options: CallGraphOptions,
): Promise<T> {
    const now = options.now ?? Date.now;
    const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const deadline = now() + options.budgetMs;
    const allowance = options.allowance ?? retryAllowance();
    for (;;) {
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
        const start = () => request(controller.signal);
        const pending = new Promise<T>((resolve) =>
            resolve(options.limit ? options.limit.run(start, controller.signal) : start()),
        );
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
        const decision = nextRetryDelay({
            status: error.status,
            retryAfter,
            now: now(),
            deadline,
            random: Math.random(),
            allowance,
        });
        if ('giveUp' in decision) throw error.withRetryAt(decision.retryAt);
        allowance.used++;
        await sleep(decision.wait);
    }
}
