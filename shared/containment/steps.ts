/**
 * What a containment step is: its specification (the table of every step is stepTable.ts), what it is given to run,
 * and what it answers. A step's failure is a value, never an exception.
 */
import type { ContainmentConfig } from '../settings/containment';
import type { Incident } from '../detection/userState';
import { ensureError } from '../errors';
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
    | { readonly error: StepError };

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

/** A step failure as stored on the incident: Graph's status and code, or the local error's name. */
export function stepError(e: unknown): StepError {
    if (e instanceof GraphCallError)
        return {
            ...(e.status !== undefined ? { status: e.status } : {}),
            code: e.graphCode,
            message: e.message.slice(0, 500),
        };
    const err = ensureError(e);
    return { code: (err as { code?: string }).code ?? err.name, message: err.message.slice(0, 500) };
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

/** A read-back that could not finish in time: a failed step, retried by the timer (never needs-attention by itself). */
export const NOT_YET_VERIFIED: StepResult = {
    error: { code: 'NotYetVerified', message: 'the change was made but could not be read back in the time left' },
};
