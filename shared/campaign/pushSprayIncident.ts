import { addToIncident } from '../detection/incidentCounters';
import { incidentId } from '../detection/openIncident';
import { cloneState, emptyUserState, Incident, UserState } from '../detection/userState';
import type { CampaignMember } from './campaignDecision';
import { sourceMatch } from '../signin/networkSource';
import { promptMatches } from './sourcePrompts';

/** A user's place in a campaign, as their row is told it. */
export interface CampaignMembership {
    readonly campaignId: string;
    /** The campaign's source, for people (`address 203.0.113.7`). */
    readonly source: string;
    /** Event time the campaign reached its threshold, ms. */
    readonly detectedAt: number;
    /** The campaign's distinct users now. */
    readonly users: number;
    /** Why the campaign is not contained user by user (campaignHold.ts), if it is not. */
    readonly hold?: string;
    readonly member: CampaignMember;
}

export interface MembershipOptions {
    /** Detection's window (DENIAL_WINDOW_MINUTES): an incident's episode, as for every trigger. */
    readonly windowMs: number;
    /**
     * The campaign window (CAMPAIGN_WINDOW_MINUTES): a user sprayed again within it of their push-spray incident is the
     * same attack, whichever of the source's keys (address, network, autonomous system) opened the campaign.
     */
    readonly campaignWindowMs: number;
    /** Wall clock, ms (the incident's `recordedAt`). */
    readonly now: number;
}

export interface MembershipResult {
    readonly state: UserState;
    readonly opened?: Incident;
    /** An existing push-spray incident that changed (an approval, more prompts). */
    readonly updated?: Incident;
    /** An incident of the user's own trigger, now linked to the campaign: stored, nothing to contain or announce again. */
    readonly linked?: Incident;
}

/** The approval a campaign saw, as the incident records it: from the attacking source by construction. */
function approvalOf(state: UserState, ids: ReadonlySet<string>, member: CampaignMember): Incident['approval'] {
    if (!member.approved) return undefined;
    const p = state.prompts.find((x) => x.kind === 'mfa-approved' && promptMatches(x.keys, ids));
    const at = p?.time ?? member.approvedAt ?? member.lastSeen;
    return { at, ...(p?.ipAddress ? { ipAddress: p.ipAddress } : {}), fromDenialIp: true };
}

/** Takes the member's prompts the user's row remembers and no incident holds yet; true when any was taken. */
function takePrompts(state: UserState, inc: Incident, ids: ReadonlySet<string>, windowMs: number): boolean {
    let took = false;
    for (const p of state.prompts) {
        if (p.incidentId !== undefined || p.kind === 'mfa-approved' || !promptMatches(p.keys, ids)) continue;
        addToIncident(inc, p, windowMs);
        took = true;
    }
    return took;
}

/**
 * The incident of another trigger that holds every one of the member's prompts the row remembers (none when the row
 * remembers none of them, or some are held by no incident).
 */
function heldBy(state: UserState, ids: ReadonlySet<string>): Incident | undefined {
    const mine = state.prompts.filter((p) => p.kind !== 'mfa-approved' && promptMatches(p.keys, ids));
    const holderId = mine[0]?.incidentId;
    if (holderId === undefined || mine.some((p) => p.incidentId !== holderId)) return undefined;
    return state.incidents.find((i) => i.id === holderId && i.trigger !== 'push-spray');
}

/**
 * Records a user's membership of a campaign in their detection state: opens their `push-spray` incident, or brings an
 * existing one up to date (more prompts from the source, an approval). One incident per user per attack: a user whose
 * push-spray incident is within the campaign window of this membership is already covered, by the campaign of the
 * source's narrowest key that opened first; a user whose prompts an incident of their own trigger already holds has
 * that incident linked to the campaign instead. Pure: applying a membership again changes nothing.
 */
export function applyMembership(
    previous: UserState | undefined,
    m: CampaignMembership,
    options: MembershipOptions,
): MembershipResult {
    const state = cloneState(previous ?? emptyUserState(m.member.userId));
    const before = JSON.stringify(state);
    const ids = new Set(m.member.promptIds);
    const existing = state.incidents.find(
        (i) =>
            i.trigger === 'push-spray' &&
            (i.campaignId === m.campaignId ||
                (m.member.firstSeen <= i.lastSeen + options.campaignWindowMs &&
                    m.member.lastSeen >= i.firstSeen - options.campaignWindowMs)),
    );
    if (existing) {
        takePrompts(state, existing, ids, options.windowMs);
        if (!existing.approval) {
            const approval = approvalOf(state, ids, m.member);
            if (approval) existing.approval = approval;
        }
        return JSON.stringify(state) === before ? { state } : { state, updated: existing };
    }
    const holder = heldBy(state, ids);
    if (holder) {
        // The user's own trigger already opened an incident for these prompts (five declines from the source): it is
        // the same attack, so it is linked to the campaign (one alert, one breaker decision) rather than doubled.
        if (holder.campaignId !== undefined) return { state };
        holder.campaignId = m.campaignId;
        holder.campaignSource = m.source;
        holder.campaignUsers = m.users;
        return { state, linked: holder };
    }
    if (m.member.userPrincipalName && !state.userPrincipalName) state.userPrincipalName = m.member.userPrincipalName;
    const detectedAt = Math.max(m.detectedAt, m.member.firstSeen);
    const inc: Incident = {
        id: incidentId(state.userId, 'push-spray', detectedAt),
        userId: state.userId,
        ...(state.userPrincipalName !== undefined ? { userPrincipalName: state.userPrincipalName } : {}),
        trigger: 'push-spray',
        denials: 0,
        timeouts: 0,
        fraudReports: 0,
        firstSeen: m.member.firstSeen,
        lastSeen: m.member.lastSeen,
        detectedAt,
        recordedAt: options.now,
        ipAddresses: [],
        apps: [],
        evidence: [],
        campaignId: m.campaignId,
        campaignSource: m.source,
        campaignUsers: m.users,
        ...(m.hold ? { campaignHold: m.hold } : {}),
    };
    // Counted from the user's own prompts, as every incident is; when their row holds none of them (another incident
    // holds them, or they were forgotten), from the campaign's count, final.
    if (!takePrompts(state, inc, ids, options.windowMs)) Object.assign(inc, counts(m.member));
    const approval = approvalOf(state, ids, m.member);
    if (approval) {
        inc.approval = approval;
        if (inc.denials + inc.timeouts + inc.fraudReports === 0 && !refusedFrom(state, approval)) {
            inc.approvedWithoutRefusal = true;
            inc.approval = { ...approval, fromDenialIp: false };
        }
    }
    state.incidents.push(inc);
    state.lastEventTime = Math.max(state.lastEventTime, m.member.lastSeen);
    return { state, opened: inc };
}

/**
 * Whether the user's row holds a refused prompt (declined, unanswered, fraud) from the approval's address or network
 * up to the approval: when a source has more users than its rows list, a member's refusals may not be among the
 * campaign's prompt ids, but the user's own row still has them.
 */
function refusedFrom(state: UserState, approval: NonNullable<Incident['approval']>): boolean {
    if (approval.ipAddress === undefined) return false;
    const from = { ipAddress: approval.ipAddress };
    return state.prompts.some((p) => {
        if (p.kind === 'mfa-approved' || p.time > approval.at || p.ipAddress === undefined) return false;
        const how = sourceMatch(p, from);
        return how === 'address' || how === 'network';
    });
}

function counts(member: CampaignMember): Pick<Incident, 'denials' | 'timeouts' | 'fraudReports' | 'partial'> {
    return {
        denials: member.denials,
        timeouts: member.timeouts,
        fraudReports: member.fraudReports,
        partial: true,
    };
}
