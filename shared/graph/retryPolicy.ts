/**
 * When to retry a Graph call, as pure functions beside the request loop (callGraph.ts): which answers are worth
 * another try, how long Graph asked us to wait, and how long to back off when it did not say.
 * Sources: Graph throttling guidance (429 with Retry-After, https://learn.microsoft.com/graph/throttling) and the
 * Graph error responses page (5xx are transient, https://learn.microsoft.com/graph/errors).
 */

/** Statuses that may pass: throttling and the transient server errors. A network error or timeout has none. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);
export const MAX_BACKOFF_MS = 30_000;

export function isRetryable(status: number | undefined): boolean {
    return status === undefined || RETRYABLE_STATUSES.has(status);
}

/** Retry-After in ms: seconds (Graph sends decimals in $batch) or an HTTP date. */
export function retryAfterMs(header: string | null | undefined, now: number): number | undefined {
    if (!header) return undefined;
    const seconds = Number(header);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(header);
    return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/** Exponential backoff with jitter: 0.5–1 s, 1–2 s, 2–4 s, ... capped at 30 s. `random` is in [0, 1). */
export function backoffMs(attempt: number, random: number): number {
    return Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt) * (0.5 + random / 2);
}

/**
 * The wait before the next try, or undefined when there is none: the answer is final, or the wait would end past
 * the deadline (the failure is then returned, and the containment timer tries again later).
 */
export function nextRetryDelay(input: {
    readonly attempt: number;
    readonly status: number | undefined;
    readonly retryAfter: string | null | undefined;
    readonly now: number;
    readonly deadline: number;
    readonly random: number;
}): number | undefined {
    if (!isRetryable(input.status)) return undefined;
    const wait = retryAfterMs(input.retryAfter, input.now) ?? backoffMs(input.attempt, input.random);
    return input.now + wait >= input.deadline ? undefined : wait;
}
