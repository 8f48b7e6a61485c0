import type { ContainmentConfig } from '../settings/containment';
import type { Incident } from '../detection/userState';
import type { Containment, ContainmentStep, StepName } from '../containment/model';
import { isoTime } from '../time';

/**
 * What a person does by hand for each containment step the responder did not take: in dry-run (it only said what it
 * would do) and where a step needs attention (it failed, or a person must finish it). The portal path first, then
 * the command. Steps that are the responder's own bookkeeping (exclusions, the circuit breaker) have none.
 */
type Instruction = (
    who: string,
    inc: Incident,
    config: Pick<ContainmentConfig, 'pushBlockMode' | 'pushBlockGroupId'>,
) => string;

const USERS = 'Entra admin center > Users';

const HOW: Partial<Record<StepName, Instruction>> = {
    'revoke-sessions': (who, inc) =>
        `Revoke sessions: ${USERS} > ${who} > Revoke sessions (az rest --method POST --url https://graph.microsoft.com/v1.0/users/${inc.userId}/revokeSignInSessions)`,
    'block-push': (who, inc, config) =>
        config.pushBlockMode === 'group' && config.pushBlockGroupId
            ? `Block push: add the user to the push-block group (az ad group member add --group ${config.pushBlockGroupId} --member-id ${inc.userId})`
            : `Block push: ${USERS} > ${who} > Authentication methods > delete Microsoft Authenticator`,
    'remove-new-methods': (who, inc) =>
        `Remove what was registered since ${isoTime(inc.firstSeen)}: ${USERS} > ${who} > Authentication methods`,
    'reset-password': (who) => `Reset the password: ${USERS} > ${who} > Reset password`,
    'confirm-compromised': (who) =>
        `Confirm the user compromised: Entra admin center > Protection > Identity Protection > Risky users > ${who}`,
    'disable-account': (_who, inc) =>
        `Disable the account: az ad user update --id ${inc.userId} --account-enabled false`,
};

/** A step a person still has to take: recorded as dry-run, failed, or with something left for a person. */
function leftToDo(step: ContainmentStep, c: Containment): boolean {
    if (c.status === 'dry-run') return step.status === 'dry-run';
    return (
        step.status === 'failed' ||
        step.attention !== undefined ||
        (c.status === 'needs-attention' && step.status === 'pending')
    );
}

/** The manual steps, in order, once each (revoking sessions twice is one step for a person). */
export function manualSteps(
    inc: Incident,
    c: Containment | undefined,
    config: Pick<ContainmentConfig, 'pushBlockMode' | 'pushBlockGroupId'>,
    who: string,
): string[] {
    if (!c || (c.status !== 'dry-run' && c.status !== 'needs-attention')) return [];
    const out: string[] = [];
    for (const step of c.steps) {
        if (!leftToDo(step, c)) continue;
        const name: StepName = step.name === 'revoke-sessions-again' ? 'revoke-sessions' : step.name;
        const how = HOW[name]?.(who, inc, config);
        if (how && !out.includes(how)) out.push(how);
        if (step.attention && c.status === 'needs-attention') out.push(`${step.name}: ${step.attention}`);
    }
    return out;
}
