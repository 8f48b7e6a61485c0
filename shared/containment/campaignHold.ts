import type { Incident } from '../detection/userState';

/**
 * Why a push-spray incident is held back from automatic containment, or undefined when it is contained as any other.
 * Campaign detection decides it when the incident opens (shared/campaign/campaignHold.ts: a campaign above
 * CAMPAIGN_MAX_USERS, or named by an autonomous system only); a user who approved a prompt or reported fraud is
 * contained whatever it says, their account being known to be in play. Break-glass exclusions still apply to them, as
 * to everyone.
 */
export function campaignHold(
    incident: Pick<Incident, 'trigger' | 'campaignHold' | 'approval' | 'fraudReports'>,
): string | undefined {
    if (incident.trigger !== 'push-spray' || !incident.campaignHold) return undefined;
    if (incident.approval !== undefined || incident.fraudReports > 0) return undefined;
    return incident.campaignHold;
}
