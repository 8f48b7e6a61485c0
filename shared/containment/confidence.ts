/**
 * How sure an incident is, for the circuit breaker: a high-confidence incident is contained whatever the breaker
 * says, because an attacker who bombs decoy accounts must not be able to spend the victim's protection.
 *
 * High is what only a real attack (or the user themselves) produces, and what decoys cannot fake without owning the
 * decoys' second factor: the user reported fraud; the user approved a prompt from the attacking source (the same
 * address, /24 or /64, or autonomous system as the attack's prompts); a way to authenticate was added or changed
 * after an attack (`method-registered-after-attack`); a push-spray campaign's user who approved or reported fraud.
 * Everything else — prompts declined or left unanswered, however many — is normal: that is what decoys, a parser
 * bug or an Entra outage produce in numbers, and what the breaker exists to hold.
 */
import { PERSISTENCE_TRIGGER, Incident } from '../detection/userState';

export type Confidence = 'high' | 'normal';

/** Pure. A drill is never high: it is a dry-run outside the breaker anyway. */
export function incidentConfidence(incident: Incident): Confidence {
    if (incident.drill) return 'normal';
    if (incident.fraudReports > 0 || incident.trigger === 'fraud-report') return 'high';
    if (incident.trigger === PERSISTENCE_TRIGGER) return 'high';
    // A push-spray user who approved from the source but refused nothing from it may be a bystander there: a person
    // decides (containment/plan.ts), so it cannot be high on its approval.
    if (incident.approvedWithoutRefusal) return 'normal';
    const approval = incident.approval;
    if (approval && (approval.sameSource !== undefined || approval.fromDenialIp)) return 'high';
    // A push-spray user (an incident with its campaign's id) who gave in, wherever from.
    if (incident.campaignId !== undefined && approval !== undefined) return 'high';
    return 'normal';
}

/** Why it is high, for the step's record and the notice; undefined when normal. */
export function highConfidenceReason(incident: Incident): string | undefined {
    if (incidentConfidence(incident) !== 'high') return undefined;
    if (incident.fraudReports > 0 || incident.trigger === 'fraud-report') return 'the user reported fraud';
    if (incident.trigger === PERSISTENCE_TRIGGER) return 'a way to authenticate was added after an attack';
    const how = incident.approval?.sameSource ?? (incident.approval?.fromDenialIp ? 'address' : undefined);
    if (how === undefined) return 'a push-spray user approved a prompt';
    return `the user approved a prompt from the attacking ${how === 'autonomous-system' ? 'autonomous system' : how}`;
}

/**
 * The breaker's share key of an incident: one slot per push-spray campaign (`campaign:<id>`), else one per incident,
 * so that a retried run of the same incident never takes a second slot.
 */
export function shareKeyOf(incident: Incident): string {
    return incident.campaignId !== undefined ? `campaign:${incident.campaignId}` : `incident:${incident.id}`;
}
