import type { ContainmentConfig } from '../settings/containment';
import type { CampaignUserView, CampaignView } from '../campaign/campaignView';
import { plain, TEAMS_MESSAGE_MAX_BYTES } from './teamsCard';

/**
 * A push-spray campaign's notice: one per campaign when it opens, and one more if it grows past CAMPAIGN_MAX_USERS
 * (containment then stops for everyone but approvers and fraud reporters, which the SOC must know). As JSON for any
 * receiver, or as one Adaptive Card for a Teams Workflows webhook, in place of a card per sprayed user: the users are
 * listed (bounded) and the rest counted. Texts an attacker chooses (a UPN, a user agent) are cut and cannot form links.
 */
export type CampaignNoticeKind = 'opened' | 'over-cap';

export function campaignTitle(v: CampaignView, kind: CampaignNoticeKind): string {
    const users = `${v.estimated ? 'about ' : ''}${v.userCount} users`;
    const source = `${v.source.type} ${v.source.value}`;
    if (kind === 'over-cap') {
        return `Push spray campaign from ${source} grew to ${users}, above CAMPAIGN_MAX_USERS: NEEDS ATTENTION`;
    }
    return `Push spray campaign: ${users} prompted from ${source}${v.containment === 'needs-attention' ? ' — NEEDS ATTENTION' : ''}`;
}

function userLine(u: CampaignUserView): string {
    const marks = [u.approved ? 'APPROVED' : '', u.fraudReports > 0 ? 'reported fraud' : ''].filter(Boolean).join(', ');
    return `${u.denials} declined, ${u.timeouts} unanswered${marks ? ` — ${marks}` : ''}${u.incident ? '' : ' (counted, no incident)'}`;
}

/** What the campaign means for the SOC, in words: containment, the password reset, the block. */
export function campaignLines(v: CampaignView, config: Pick<ContainmentConfig, 'resetPassword'>): string[] {
    return [
        `Source: ${v.source.type} ${v.source.value}${v.source.userAgent ? ` (user agent ${v.source.userAgent})` : ''}; window of ${v.windowMinutes} min from ${v.windowStart}; threshold ${v.threshold} users; detected at ${v.detectedAt}.`,
        `${v.estimated ? 'About ' : ''}${v.userCount} users prompted between ${v.firstSeen} and ${v.lastSeen}; ${v.approvals} approved a prompt, ${v.fraudReports} reported fraud.`,
        v.containment === 'user-by-user'
            ? `Each user is contained as one decision of the circuit breaker (one slot for the campaign); each has a push-spray incident with campaign id ${v.campaignId}.`
            : `NEEDS ATTENTION: ${v.hold ?? 'a person decides'}. The first ${v.maxUsers} users have push-spray incidents that need attention; the rest are counted here.`,
        config.resetPassword
            ? "Every user who reached the MFA step gave a valid password: containment resets each contained user's password (RESET_PASSWORD=true)."
            : 'Every user who reached the MFA step gave a valid password: RESET THEIR PASSWORDS (RESET_PASSWORD=false).',
        ...(v.block
            ? [
                  v.block.range
                      ? `Source range ${v.block.range}: ${v.block.status} in the block named location${v.block.until ? ` until ${v.block.until}` : ''}${v.block.reason ? ` (${v.block.reason})` : ''}.`
                      : `Source not blocked: ${v.block.reason ?? v.block.status}.`,
              ]
            : []),
    ];
}

/** The JSON a campaign notice carries: the campaign view, a title and a text ready for a chat message. */
export function campaignPayload(
    v: CampaignView,
    kind: CampaignNoticeKind,
    config: Pick<ContainmentConfig, 'resetPassword'>,
): Record<string, unknown> {
    const title = campaignTitle(v, kind);
    return {
        type: 'mfa-fatigue-responder',
        kind: kind === 'opened' ? 'campaign' : 'campaign-over-cap',
        title,
        text: [title, ...campaignLines(v, config)].join('\n'),
        campaign: v,
    };
}

/** Users listed on the card before "and N more", level by level until the message fits. */
const USER_LEVELS = [30, 15, 5, 0] as const;

function card(v: CampaignView, kind: CampaignNoticeKind, lines: readonly string[], users: number) {
    const title = plain(campaignTitle(v, kind), 300);
    const shown = v.users.slice(0, users);
    const more = v.userCount - shown.length;
    const body: Array<Record<string, unknown>> = [
        {
            type: 'Container',
            style: v.severity === 'High' ? 'attention' : 'warning',
            bleed: true,
            items: [
                { type: 'TextBlock', text: title, weight: 'Bolder', size: 'Large', wrap: true },
                {
                    type: 'TextBlock',
                    text: `Severity ${v.severity} · campaign ${v.campaignId}`,
                    isSubtle: true,
                    spacing: 'None',
                    wrap: true,
                },
            ],
        },
        ...lines.map((text) => ({ type: 'TextBlock', text: plain(text, 600), wrap: true })),
    ];
    if (shown.length > 0) {
        body.push({ type: 'TextBlock', text: 'Users', weight: 'Bolder', wrap: true });
        body.push({
            type: 'FactSet',
            facts: [
                ...shown.map((u) => ({ title: plain(u.userPrincipalName ?? u.userId, 120), value: userLine(u) })),
                ...(more > 0 ? [{ title: '…', value: `and ${more} more` }] : []),
            ],
        });
    }
    return {
        $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
        type: 'AdaptiveCard',
        version: '1.4',
        fallbackText: title,
        body,
    };
}

/** The campaign's Teams message (a Workflows envelope around one Adaptive Card 1.4), within the bytes Teams takes. */
export function campaignTeamsMessage(
    v: CampaignView,
    kind: CampaignNoticeKind,
    config: Pick<ContainmentConfig, 'resetPassword'>,
    options: { readonly maxBytes?: number } = {},
): Record<string, unknown> {
    const maxBytes = options.maxBytes ?? TEAMS_MESSAGE_MAX_BYTES;
    const lines = campaignLines(v, config);
    let message: Record<string, unknown> = {};
    for (const users of USER_LEVELS) {
        message = {
            type: 'message',
            attachments: [
                {
                    contentType: 'application/vnd.microsoft.card.adaptive',
                    contentUrl: null,
                    content: card(v, kind, lines, users),
                },
            ],
        };
        if (Buffer.byteLength(JSON.stringify(message)) <= maxBytes) break;
    }
    return message;
}

/** The body of a campaign notice in the configured format. */
export function campaignNoticeBody(
    v: CampaignView,
    kind: CampaignNoticeKind,
    config: Pick<ContainmentConfig, 'resetPassword' | 'notifyFormat'>,
): Record<string, unknown> {
    return config.notifyFormat === 'teams' ? campaignTeamsMessage(v, kind, config) : campaignPayload(v, kind, config);
}
