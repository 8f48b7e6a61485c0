import { isoTime } from '../time';
import type { CampaignDecision, CampaignMember } from './campaignDecision';
import { wantsIncident } from './campaignDecision';
import type { CampaignPolicy } from './campaignPolicy';
import { campaignHoldReason } from './campaignHold';
import type { SourceBlockRecord } from './sourceView';

/** One user of a campaign, as people read it. */
export interface CampaignUserView {
    readonly userId: string;
    readonly userPrincipalName: string | null;
    readonly denials: number;
    readonly timeouts: number;
    readonly fraudReports: number;
    readonly approved: boolean;
    readonly firstSeen: string;
    readonly lastSeen: string;
    /** The user gets a push-spray incident (everyone up to CAMPAIGN_MAX_USERS, and whoever approved or reported fraud). */
    readonly incident: boolean;
    /** More prompts were seen than are kept: the counts are a floor. */
    readonly partial?: true;
}

/**
 * The one way a campaign is shown: the `{"type":"campaign"}` line of `replay --json`, the campaign's Teams card and
 * JSON notice, its telemetry event and the HTML report. Times are ISO event times, except `recordedAt` (wall clock).
 */
export interface CampaignView {
    readonly campaignId: string;
    readonly source: { readonly type: string; readonly value: string; readonly userAgent: string | null };
    /** High when the campaign is above CAMPAIGN_MAX_USERS, or someone approved or reported fraud; else Medium. */
    readonly severity: 'High' | 'Medium';
    /**
     * `user-by-user`: every user is contained, as one decision; `needs-attention`: a person decides (`hold` says why),
     * and only users who approved or reported fraud are contained at once.
     */
    readonly containment: 'user-by-user' | 'needs-attention';
    readonly hold: string | null;
    readonly windowStart: string;
    readonly firstSeen: string;
    readonly lastSeen: string;
    readonly detectedAt: string;
    readonly recordedAt: string;
    readonly windowMinutes: number;
    /** Distinct users the source's type needed within the window. */
    readonly threshold: number;
    /** Distinct users prompted: exact, or estimated (then `estimated`) past what the rows list by name. */
    readonly userCount: number;
    readonly estimated: boolean;
    readonly maxUsers: number;
    readonly approvals: number;
    readonly fraudReports: number;
    /** The users, at most `maxListed` (the first by first prompt, approvers and fraud reporters always); see `userCount`. */
    readonly users: readonly CampaignUserView[];
    /** Users not listed here. */
    readonly moreUsers: number;
    /** Blocking the source (BLOCK_CAMPAIGN_SOURCES): the range, until when, what became of it, and why. */
    readonly block: {
        readonly range: string | null;
        readonly until: string | null;
        readonly status: string;
        readonly reason: string | null;
    } | null;
}

function userView(m: CampaignMember, policy: Pick<CampaignPolicy, 'maxUsers'>): CampaignUserView {
    return {
        userId: m.userId,
        userPrincipalName: m.userPrincipalName ?? null,
        denials: m.denials,
        timeouts: m.timeouts,
        fraudReports: m.fraudReports,
        approved: m.approved,
        firstSeen: isoTime(m.firstSeen),
        lastSeen: isoTime(m.lastSeen),
        incident: wantsIncident(m, policy),
        ...(m.more ? { partial: true as const } : {}),
    };
}

/** The view of a decided campaign; `maxListed` bounds the users listed (a card is small, a JSON line need not be). */
export function campaignView(
    d: CampaignDecision,
    policy: Pick<CampaignPolicy, 'maxUsers' | 'windowMs'>,
    options: { readonly maxListed?: number; readonly block?: SourceBlockRecord } = {},
): CampaignView | undefined {
    const c = d.campaign;
    if (!c || d.members.length === 0) return undefined;
    const flagged = d.members.filter((m) => m.approved || m.fraudReports > 0);
    const max = options.maxListed ?? d.members.length;
    const shown = [...flagged, ...d.members.filter((m) => !flagged.includes(m))].slice(0, max);
    shown.sort((a, b) => a.rank - b.rank);
    const overCap = d.users > policy.maxUsers || c.overCap === true;
    const hold = campaignHoldReason(
        { id: c.id, type: c.key.type },
        Math.max(d.users, overCap ? policy.maxUsers + 1 : 0),
        policy,
    );
    const block = options.block ?? c.block;
    return {
        campaignId: c.id,
        source: { type: c.key.type, value: c.key.value, userAgent: c.agent ?? null },
        severity: overCap || flagged.length > 0 ? 'High' : 'Medium',
        containment: hold ? 'needs-attention' : 'user-by-user',
        hold: hold ?? null,
        windowStart: isoTime(c.windowStart),
        firstSeen: isoTime(d.firstSeen),
        lastSeen: isoTime(d.lastSeen),
        detectedAt: isoTime(c.detectedAt),
        recordedAt: isoTime(c.openedAt),
        windowMinutes: policy.windowMs / 60_000,
        threshold: c.threshold,
        userCount: d.users,
        estimated: d.estimated,
        maxUsers: policy.maxUsers,
        approvals: d.members.filter((m) => m.approved).length,
        fraudReports: d.members.filter((m) => m.fraudReports > 0).length,
        users: shown.map((m) => userView(m, policy)),
        moreUsers: d.users - shown.length,
        block: block
            ? {
                  range: block.range ?? null,
                  until: isoTime(block.until) ?? null,
                  status: block.status,
                  reason: block.reason ?? null,
              }
            : null,
    };
}
