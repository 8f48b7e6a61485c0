import { DENIAL_KINDS, MfaKind, UNANSWERED_KINDS } from '../signin/mfaKinds';
import { isDrill, releasedAttackOf } from './episodes';
import type { DetectionPolicy } from './policy';
import type { Incident, Prompt, Trigger } from './userState';

const EPSILON = 1e-9;

/** An unanswered push or call weighs TIMEOUT_WEIGHT; any other denial (declined, hung up, wrong code, fraud) 1. */
function weightOf(kind: MfaKind, policy: DetectionPolicy): number {
    if (UNANSWERED_KINDS.has(kind)) return policy.timeoutWeight;
    return DENIAL_KINDS.has(kind) ? 1 : 0;
}

export interface Detection {
    readonly trigger: Trigger;
    readonly at: Prompt;
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

function findTriggerAmong(
    prompts: readonly Prompt[],
    incidents: readonly Incident[],
    policy: DetectionPolicy,
    drill: boolean,
): Detection | undefined {
    const window: Prompt[] = [];
    let head = 0;
    let score = 0;
    for (const p of prompts) {
        if (p.incidentId !== undefined || isDrill(p) !== drill) continue;
        while (head < window.length && window[head]!.time < p.time - policy.windowMs)
            score -= weightOf(window[head++]!.kind, policy);
        if (p.kind === 'mfa-approved') {
            if (head < window.length && score + EPSILON >= policy.spamThenSuccessMinDenials) {
                return { trigger: 'spam-then-success', at: p };
            }
            const after = releasedAttackOf(incidents, p, policy.windowMs);
            if (after) return { trigger: 'spam-then-success', at: p, after };
            continue;
        }
        window.push(p);
        score += weightOf(p.kind, policy);
        if (p.kind === 'fraud-report' && policy.fraudReportOpensIncident) return { trigger: 'fraud-report', at: p };
        if (score + EPSILON >= policy.denialThreshold) return { trigger: 'threshold', at: p };
    }
    return undefined;
}
