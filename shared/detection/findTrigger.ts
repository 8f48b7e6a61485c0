import { DENIAL_KINDS, MfaKind, REFUSED_KINDS, UNANSWERED_KINDS } from '../signin/mfaKinds';
import { sourceMatch } from '../signin/networkSource';
import { isDrill, releasedAttackOf } from './episodes';
import type { DetectionPolicy } from './policy';
import type { Incident, Prompt, Trigger } from './userState';

const EPSILON = 1e-9;

/**
 * An unanswered push or call, and a failed prompt of unknown outcome, weigh TIMEOUT_WEIGHT; any other denial
 * (declined, a wrong number or PIN, hung up, wrong code, fraud) 1.
 */
export function weightOf(kind: MfaKind, policy: DetectionPolicy): number {
    if (UNANSWERED_KINDS.has(kind)) return policy.timeoutWeight;
    return DENIAL_KINDS.has(kind) ? 1 : 0;
}

export interface Detection {
    readonly trigger: Trigger;
    readonly at: Prompt;
    /**
     * The first prompt of those that completed the trigger (event time, ms): of the short window for `threshold`,
     * `fraud-report` and a spam-then-success within it, of the long window for `sustained`, the first refused prompt
     * from the approving source for a spam-then-success over the long window. Absent for a follow-up.
     */
    readonly windowStart?: number;
    /** A spam-then-success whose denials are those of an attack already released: the incident it follows. */
    readonly after?: Incident;
}

/** The earliest trigger, in event time, among prompts not yet part of an incident; drill and real ones apart. */
export function findTrigger(
    prompts: readonly Prompt[],
    incidents: readonly Incident[],
    policy: DetectionPolicy,
): Detection | undefined {
    const real = findTriggerAmong(prompts, incidents, policy, false);
    const drill = prompts.some(isDrill) ? findTriggerAmong(prompts, incidents, policy, true) : undefined;
    if (!real || !drill) return real ?? drill;
    return drill.at.time < real.at.time ? drill : real;
}

/**
 * A sliding window over prompts by event time, with its weighted score. The long window also keeps its refused
 * prompts apart, so that an approval looks at those only (most of a busy user's prompts are approvals).
 */
class Window {
    readonly #prompts: Prompt[] = [];
    #head = 0;
    readonly #refused: Prompt[] = [];
    #refusedHead = 0;
    score = 0;

    constructor(
        private readonly spanMs: number,
        private readonly policy: DetectionPolicy,
    ) {}

    /** Drops what is older than the span before `t`. */
    slide(t: number): void {
        const from = t - this.spanMs;
        while (this.#head < this.#prompts.length && this.#prompts[this.#head]!.time < from)
            this.score -= weightOf(this.#prompts[this.#head++]!.kind, this.policy);
        while (this.#refusedHead < this.#refused.length && this.#refused[this.#refusedHead]!.time < from)
            this.#refusedHead++;
    }

    push(p: Prompt): void {
        this.#prompts.push(p);
        this.score += weightOf(p.kind, this.policy);
        if (REFUSED_KINDS.has(p.kind)) this.#refused.push(p);
    }

    get empty(): boolean {
        return this.#head >= this.#prompts.length;
    }

    get start(): number | undefined {
        return this.#prompts[this.#head]?.time;
    }

    /**
     * An approval after refused prompts from its own source (address, /24 or /64, autonomous system) within the
     * window: the user gave in, however slowly the denials came. Only refused prompts count at this pace: a phone left
     * in a drawer leaves unanswered prompts from the user's own laptop, which the user then approves from. Returns the
     * first such prompt's time when there are at least SPAM_THEN_SUCCESS_MIN_DENIALS of them.
     */
    refusedFrom(approval: Prompt): number | undefined {
        if (this.#refused.length - this.#refusedHead < this.policy.spamThenSuccessMinDenials - EPSILON)
            return undefined;
        let count = 0;
        let first: number | undefined;
        for (let i = this.#refusedHead; i < this.#refused.length; i++) {
            const p = this.#refused[i]!;
            if (sourceMatch(p, approval) === undefined) continue;
            count++;
            first ??= p.time;
        }
        return count + EPSILON >= this.policy.spamThenSuccessMinDenials ? first : undefined;
    }
}

function findTriggerAmong(
    prompts: readonly Prompt[],
    incidents: readonly Incident[],
    policy: DetectionPolicy,
    drill: boolean,
): Detection | undefined {
    const short = new Window(policy.windowMs, policy);
    const long = new Window(Math.max(policy.sustainedWindowMs, policy.windowMs), policy);
    for (const p of prompts) {
        if (p.incidentId !== undefined || isDrill(p) !== drill) continue;
        short.slide(p.time);
        long.slide(p.time);
        if (p.kind === 'mfa-approved') {
            if (!short.empty && short.score + EPSILON >= policy.spamThenSuccessMinDenials) {
                return { trigger: 'spam-then-success', at: p, windowStart: short.start! };
            }
            const since = long.refusedFrom(p);
            if (since !== undefined) return { trigger: 'spam-then-success', at: p, windowStart: since };
            const after = releasedAttackOf(incidents, p, policy);
            if (after) return { trigger: 'spam-then-success', at: p, after };
            continue;
        }
        short.push(p);
        long.push(p);
        if (p.kind === 'fraud-report' && policy.fraudReportOpensIncident) {
            return { trigger: 'fraud-report', at: p, windowStart: short.start! };
        }
        if (short.score + EPSILON >= policy.denialThreshold) {
            return { trigger: 'threshold', at: p, windowStart: short.start! };
        }
        if (long.score + EPSILON >= policy.sustainedThreshold) {
            return { trigger: 'sustained', at: p, windowStart: long.start! };
        }
    }
    return undefined;
}
