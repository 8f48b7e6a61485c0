/**
 * What a containment step is: its specification (the table of every step is stepTable.ts), what it is given to run,
 * and what it answers. A step's failure is a value, never an exception.
 */
import type { ContainmentConfig } from '../settings/containment';
import type { Incident } from '../detection/userState';
import { ensureError } from '../errors';
import { redactSecrets } from '../redact';
import { GraphCallError } from '../graph/callGraph';
import type { GraphActions } from '../graph/graphActions';
import type { CircuitBreaker } from './circuitBreaker';
import type { Containment, ContainmentStatus, StepError, StepName } from './model';

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
export type StepFacts = Pick<Containment, 'pushBlock' | 'account'>;

export type StepResult =
    | {
          readonly status: 'done' | 'skipped';
          readonly detail: string;
          readonly facts?: StepFacts;
          /** Read back after acting: whether the change took effect. */
          readonly verified?: boolean;
          /** What a person still has to do; the containment then ends in needs-attention (after its other steps). */
          readonly attention?: string;
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
