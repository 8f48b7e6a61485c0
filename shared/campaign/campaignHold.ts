import type { CampaignPolicy, SourceType } from './campaignPolicy';

/**
 * Whether a campaign's users are contained user by user (undefined), or why not. A campaign is one decision for the
 * circuit breaker up to CAMPAIGN_MAX_USERS; above it, blocking push for everyone an attacker chose to prompt would be the
 * attacker's denial of service, so a person decides. A campaign named only by an autonomous system (alone or with a
 * user agent) is a strong signal but not a place: many unrelated people share one, so a person decides too. Either
 * way the users who approved a prompt or reported fraud are contained at once (containment/plan.ts).
 */
export function campaignHoldReason(
    campaign: { readonly id: string; readonly type: SourceType },
    users: number,
    policy: Pick<CampaignPolicy, 'maxUsers'>,
): string | undefined {
    if (users > policy.maxUsers) {
        return `campaign ${campaign.id} prompted ${users} users, above CAMPAIGN_MAX_USERS=${policy.maxUsers}: not contained automatically (users who approved or reported fraud are); decide for the campaign`;
    }
    if (campaign.type === 'asn' || campaign.type === 'asn-agent') {
        return `campaign ${campaign.id} is named by an autonomous system only, which many unrelated people share: not contained automatically (users who approved or reported fraud are); decide for the campaign`;
    }
    return undefined;
}
