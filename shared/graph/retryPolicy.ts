/**
 * When to retry a Graph call, as pure functions beside the request loop (callGraph.ts): which answers are worth
 * another try, how long Graph asked us to wait, how long to back off, and when to give up.
 * Sources: Graph throttling guidance (429 with Retry-After; without it, back off exponentially,
 * https://learn.microsoft.com/graph/throttling) and the Graph error responses page (5xx are transient,
 * https://learn.microsoft.com/graph/errors).
 */

/** Statuses that may pass: throttling and the transient server errors. A network error or timeout has none. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);
/**
 * The shortest wait before another try, whatever Retry-After says: a service answering `Retry-After: 0` (or 1, on
 * every 429) would otherwise be hammered as fast as it answers (a replay made 46,455 calls in 98 s that way).
 */
export const MIN_WAIT_MS = 1000;
export const MAX_BACKOFF_MS = 30_000;
/**
 * The longest Retry-After the responder keeps: past it the wait is cut to this (the timer tries again then). A step's
 * containment is never put off by more than an hour on the service's word.
 */
export const MAX_RETRY_AFTER_MS = 3_600_000;
/**
 * Retries of one step's Graph calls in one run, all its calls together (a list and N deletes share them): the budget
 * (GRAPH_STEP_BUDGET_SECONDS) bounds the time, this bounds the calls, whatever the service answers. The backoff of the
 * step's later calls goes on from where its earlier ones left it.
 */
export const MAX_RETRIES_PER_STEP = 8;

export function isRetryable(status: number | undefined): boolean {
    return status === undefined || RETRYABLE_STATUSES.has(status);
}

/** Retry-After in ms: seconds (Graph sends decimals in $batch) or an HTTP date; at most MAX_RETRY_AFTER_MS. */
export function retryAfterMs(header: string | null | undefined, now: number): number | undefined {
    if (!header) return undefined;
    const seconds = Number(header);
    const date = Date.parse(header);
    const ms = Number.isFinite(seconds) ? seconds * 1000 : Number.isFinite(date) ? date - now : undefined;
    return ms === undefined ? undefined : Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}

/** Exponential backoff with jitter, never under a second: 1–2 s, 2–4 s, 4–8 s, ... up to 30 s. `random` is in [0, 1). */
export function backoffMs(attempt: number, random: number): number {
    return Math.min(MAX_BACKOFF_MS, MIN_WAIT_MS * 2 ** Math.max(0, attempt) * (1 + random));
}

/** Retries left to one step in one run, shared by all of its calls. */
export interface RetryAllowance {
    /** Retries taken so far: the next backoff's exponent. */
    used: number;
    readonly max: number;
}

export function retryAllowance(max = MAX_RETRIES_PER_STEP): RetryAllowance {
    return { used: 0, max };
}

/** What to do after a failed try: wait and try again, or give up (and when the service said to come back). */
export type RetryDecision =
    | { readonly wait: number }
    | {
          readonly giveUp: 'final' | 'deadline' | 'attempts';
          /** When the service asked to be called again (Retry-After), ms: kept with the step by the caller. */
          readonly retryAt?: number;
      };

/**
 * The wait before the next try: at least MIN_WAIT_MS, what the service asked (Retry-After), and the exponential
 * backoff of the step's retries so far, whichever is longest (a service that keeps answering "retry after 1 s" still
 * gets backed off from). Gives up on a final answer, when the step's retries are spent, or when the wait would end
 * at or past the deadline (the failure is then returned, and the containment timer tries again later, not before
 * `retryAt` when the service said when).
 */
export function nextRetryDelay(input: {
    readonly status: number | undefined;
    readonly retryAfter: string | null | undefined;
    readonly now: number;
    readonly deadline: number;
    readonly random: number;
    readonly allowance: RetryAllowance;
}): RetryDecision {
    if (!isRetryable(input.status)) return { giveUp: 'final' };
    const asked = retryAfterMs(input.retryAfter, input.now);
    const retryAt = asked === undefined ? undefined : { retryAt: input.now + asked };
    if (input.allowance.used >= input.allowance.max) return { giveUp: 'attempts', ...retryAt };
    const wait = Math.max(MIN_WAIT_MS, asked ?? 0, backoffMs(input.allowance.used, input.random));
    if (input.now + wait >= input.deadline) return { giveUp: 'deadline', ...retryAt };
    return { wait };
}
