/**
 * What a containment step is: its specification (the table of every step is stepTable.ts), what it is given to run,
 * and what it answers. A step's failure is a value, never an exception.
 */
import type { ContainmentConfig } from '../settings/containment';
import type { Incident } from '../detection/userState';
import { ensureError } from '../errors';
import { redactSecrets } from '../redact';
import { GraphCallError } from '../graph/callGraph';
import type { AuthMethod, GraphActions } from '../graph/graphActions';
import type { CircuitBreaker } from './circuitBreaker';
import type { Containment, ContainmentStatus, RemovedMethod, StepError, StepName } from './model';

/** What a step's run needs. Built by the runner; steps do no storage I/O of their own. */
export interface StepContext {
    readonly incident: Incident;
    readonly containment: Containment;
    readonly config: ContainmentConfig;
    readonly graph: GraphActions;
    readonly breaker: CircuitBreaker;
    readonly now: () => number;
    /** Wall-clock time the step must be over by (its budget, or the event handler's inline time). */
    readonly deadline: number;
}

/** Facts a step learned that the containment keeps (plain data, merged by the core). */
export type StepFacts = Pick<Containment, 'pushBlock' | 'account' | 'heldByBreaker'>;

export type StepResult =
    | {
          readonly status: 'done' | 'skipped';
          readonly detail: string;
          readonly facts?: StepFacts;
          /** Read back after acting: whether the change took effect. */
          readonly verified?: boolean;
          /** What a person still has to do; the containment then ends in needs-attention (after its other steps). */
          readonly attention?: string;
          /** Methods deleted by this run (remove-new-methods). */
          readonly removed?: readonly RemovedMethod[];
          /** Ends the run with this status: the user must not (or need not) be contained further. */
          readonly stop?: { readonly status: ContainmentStatus; readonly reason: string };
      }
    | {
          readonly error: StepError;
          /** A change made but not read back yet: when that was first seen (the read-back window runs from it). */
          readonly unverifiedSince?: number;
      };

export interface StepSpec {
    readonly name: StepName;
    /** Whether the containment of this incident, as configured, includes the step. */
    readonly included: (config: ContainmentConfig, incident: Incident) => boolean;
    /** What the step would do, for dry-run steps and notices. */
    readonly wouldDo: (config: ContainmentConfig, incident: Incident) => string;
    /** Run again at the start of every run, even when an earlier run did it (checks that may change). */
    readonly everyRun?: boolean;
    /** A failure stops the run before any later step: nothing may happen without it. */
    readonly gate?: boolean;
    /** Whether the step should run now, given what the earlier steps did. */
    readonly applies?: (c: Containment) => boolean;
    /** Why running it twice is harmless (a crash between the call and its record repeats it). */
    readonly idempotent: string;
    readonly run: (ctx: StepContext) => Promise<StepResult>;
}

/** The longest message a step error keeps (it is stored, logged, notified and sent to Sentinel). */
export const MAX_STEP_ERROR_MESSAGE = 300;

/**
 * A step failure as stored on the incident: Graph's status and code, or the local error's name, and a bounded message
 * with request bodies and anything secret-shaped removed (shared/redact.ts); when the service asked to be called
 * again (Retry-After), when.
 */
export function stepError(e: unknown): StepError {
    if (e instanceof GraphCallError)
        return {
            ...(e.status !== undefined ? { status: e.status } : {}),
            code: e.graphCode,
            message: redactSecrets(e.message, MAX_STEP_ERROR_MESSAGE),
            ...(e.retryAt !== undefined ? { retryAt: e.retryAt } : {}),
        };
    const err = ensureError(e);
    const code = (err as { code?: unknown }).code;
    return {
        code: redactSecrets(typeof code === 'string' ? code : err.name, 100),
        message: redactSecrets(err.message, MAX_STEP_ERROR_MESSAGE),
    };
}

/** Runs one step; a failure becomes a value. */
export async function executeStep(spec: StepSpec, ctx: StepContext): Promise<StepResult> {
    try {
        return await spec.run(ctx);
    } catch (e) {
        return { error: stepError(e) };
    }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Reads back until `check` holds, a few times (directory writes take a moment to be read back), within the step's
 * deadline. `unknown` when time ran out before the tries did: the step is then tried again later (its action is
 * idempotent), rather than reported as not having taken.
 */
export async function readBack(
    ctx: StepContext,
    check: () => Promise<boolean>,
    tries = 3,
): Promise<boolean | 'unknown'> {
    for (let i = 0; i < tries; i++) {
        if (await check()) return true;
        if (i === tries - 1) break;
        const pause = 1000 * 2 ** i;
        if (ctx.now() + pause >= ctx.deadline) return 'unknown';
        await sleep(pause);
    }
    return false;
}

/** What a person does about a default method Graph will not delete while the user has others. */
export function defaultMethodAttention(methods: readonly AuthMethod[]): string {
    const which = methods.map((m) => `${m.type}${m.displayName ? ` "${m.displayName}"` : ''}`).join(', ');
    return `Graph will not delete the user's default method (${which}) while they have others: change their default method in Entra (Authentication methods), then delete it by hand${methods.some((m) => m.type === 'microsoftAuthenticator') ? ', or use PUSH_BLOCK_MODE=group' : ''}`;
}

/**
 * A change that does not read back yet (Entra replicates group membership and methods eventually, not at once), or
 * whose read-back ran out of time: a failed step, tried again by the timer (its action is idempotent), across ticks,
 * until READBACK_WINDOW_MINUTES after the first such answer; it never costs the step an attempt. Undefined once the
 * window is over: the step then reports what a person must check.
 * https://devblogs.microsoft.com/identity/designing-for-eventual-consistency-for-microsoft-entra/
 */
export function verifyLater(ctx: StepContext, name: StepName, what: string): StepResult | undefined {
    const since = ctx.containment.steps.find((s) => s.name === name)?.unverifiedSince ?? ctx.now();
    if (ctx.now() - since >= ctx.config.readBackWindowMs) return undefined;
    return {
        error: {
            code: 'NotYetVerified',
            message: `${what} was made but does not read back yet (directory replication); the timer checks it again`,
        },
        unverifiedSince: since,
    };
}

/** The read-back window as a person reads it. */
export const windowText = (ctx: StepContext) => `${Math.round(ctx.config.readBackWindowMs / 60_000)} min`;
