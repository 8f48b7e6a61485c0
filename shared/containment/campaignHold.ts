import type { ContainmentConfig } from '../settings/containment';
import type { Incident } from '../detection/userState';

/**
 * Why a push-spray incident is held back from automatic containment, or undefined when it is contained as any other.
 * A campaign up to CAMPAIGN_MAX_USERS is contained user by user, as one circuit-breaker decision (its users share one
 * slot); above it, blocking push for everyone an attacker chose to prompt would be the attacker's denial of service,
 * so the campaign is one decision for a person (High, needs attention), and only the users who approved a prompt or
 * reported fraud, whose accounts are known to be in play, are contained at once. Break-glass exclusions still apply
 * to them, as to everyone.
 */
export function campaignHold(
    incident: Pick<Incident, 'trigger' | 'campaignId' | 'campaignUsers' | 'approval' | 'fraudReports'>,
    config: Pick<ContainmentConfig, 'campaignMaxUsers'>,
): string | undefined {
    if (incident.trigger !== 'push-spray' || incident.campaignUsers === undefined) return undefined;
    if (incident.campaignUsers <= config.campaignMaxUsers) return undefined;
    if (incident.approval !== undefined || incident.fraudReports > 0) return undefined;
    return (
        `campaign ${incident.campaignId ?? ''} prompted ${incident.campaignUsers} users, above CAMPAIGN_MAX_USERS=${config.campaignMaxUsers}: ` +
        'not contained automatically (only users who approved or reported fraud are); decide for the campaign'
    );
}
