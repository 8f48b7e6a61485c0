import type { CampaignPolicy } from './campaignPolicy';
import { thresholdFor } from './campaignPolicy';
import { SharedEgress, sharedEgressOf } from './sharedEgress';
import { shortHash, SourceKey, sourceKeyText } from './sourceKeys';
import type { CampaignHead, MergedSource, SourceView, ViewUser } from './sourceView';

/** A user of a campaign: their prompts from the source within it, counted as an incident counts them. */
export interface CampaignMember {
    readonly userId: string;
    readonly userPrincipalName?: string;
    /** Ids of the user's prompts from the source within the campaign (sourcePrompts.ts promptId). */
    readonly promptIds: readonly string[];
    /** Declined prompts, fraud reports included (as an incident counts them). */
    readonly denials: number;
    readonly timeouts: number;
    readonly fraudReports: number;
    /** The user approved a prompt from the source during the campaign: when they first did (event time, ms). */
    readonly approved: boolean;
    readonly approvedAt?: number;
    readonly firstSeen: number;
    readonly lastSeen: number;
    /** Some prompts were not kept: the counts are a floor. */
    readonly more: boolean;
    /** Place among the campaign's users, by first prompt (then id), from 0. */
    readonly rank: number;
}

export interface CampaignDecision {
    /** The campaign of the source's current prompts: the stored one, or the one to store (`proposed`). */
    readonly campaign?: CampaignHead;
    /** The campaign row to write: none was stored, or the stored campaign ended and a new one reached the threshold. */
    readonly proposed: boolean;
    readonly members: readonly CampaignMember[];
    /** Distinct users of the campaign: exact, or estimated when the source has more users than its rows list. */
    readonly users: number;
    readonly estimated: boolean;
    /** First and last prompt of the campaign (event time, ms). */
    readonly firstSeen: number;
    readonly lastSeen: number;
    /**
     * The source is judged a shared egress (sharedEgress.ts): no campaign opens, and a stored one gets no members (no
     * new push-spray incidents, nobody contained for it).
     */
    readonly sharedEgress?: SharedEgress;
}

interface FlatPrompt {
    readonly userId: string;
    readonly time: number;
    readonly approval: boolean;
}

/** Unique for a source and window: the window's start (ms, as an incident id writes it), the type, a hash of the key. */
export function campaignId(key: SourceKey, windowStart: number): string {
    const stamp = new Date(windowStart).toISOString().replace(/[-:.]/g, '');
    return `${stamp}-${key.type}-${shortHash(sourceKeyText(key), 10)}`;
}

/**
 * The first window of at most `windowMs` in which `threshold` distinct users had a prompt declined or left unanswered
 * (approvals never count towards it): its first prompt's time, and the time of the prompt that reached it.
 */
export function firstWindow(
    denials: readonly FlatPrompt[],
    threshold: number,
    windowMs: number,
): { start: number; at: number } | undefined {
    const inWindow = new Map<string, number>();
    let i = 0;
    for (let j = 0; j < denials.length; j++) {
        const p = denials[j]!;
        inWindow.set(p.userId, (inWindow.get(p.userId) ?? 0) + 1);
        while (p.time - denials[i]!.time > windowMs) {
            const old = denials[i++]!;
            const n = inWindow.get(old.userId)! - 1;
            if (n === 0) inWindow.delete(old.userId);
            else inWindow.set(old.userId, n);
        }
        if (inWindow.size >= threshold) return { start: denials[i]!.time, at: p.time };
    }
    return undefined;
}

/** The last prompt chained to the campaign's start by gaps of at most the window: where the campaign ends. */
export function chainEnd(denials: readonly FlatPrompt[], start: number, windowMs: number): number | undefined {
    let last: number | undefined;
    for (const p of denials) {
        if (p.time < start) continue;
        if (last !== undefined && p.time - last > windowMs) break;
        last = p.time;
    }
    return last;
}

/** Every prompt of the listed users, sorted by time; denials (all but approvals) apart. */
export function flatten(users: readonly ViewUser[]): { all: FlatPrompt[]; denials: FlatPrompt[] } {
    const all: FlatPrompt[] = [];
    for (const u of users)
        for (const p of u.prompts) all.push({ userId: u.userId, time: p.time, approval: p.outcome === 'a' });
    all.sort((a, b) => a.time - b.time || (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
    return { all, denials: all.filter((p) => !p.approval) };
}

function memberOf(u: ViewUser, from: number, to: number): Omit<CampaignMember, 'rank'> | undefined {
    const mine = u.prompts.filter((p) => p.time >= from && p.time <= to);
    if (mine.length === 0) return undefined;
    const count = (o: string) => mine.filter((p) => p.outcome === o).length;
    const approval = mine.find((p) => p.outcome === 'a');
    return {
        userId: u.userId,
        ...(u.userPrincipalName ? { userPrincipalName: u.userPrincipalName } : {}),
        promptIds: mine.map((p) => p.id),
        denials: count('d') + count('f'),
        timeouts: count('t'),
        fraudReports: count('f'),
        approved: approval !== undefined,
        ...(approval ? { approvedAt: approval.time } : {}),
        firstSeen: mine[0]!.time,
        lastSeen: mine[mine.length - 1]!.time,
        more: u.more,
    };
}

/**
 * Decides a source's campaign from what its rows hold: the stored campaign while its prompts keep coming within the
 * window of each other; else the first window where the source's type reached its threshold of distinct users. Pure:
 * the same rows give the same decision in any order, and the campaign's id depends only on the source and where its
 * window starts. Its members are the users with a prompt (an approval included) from its start to a window after its
 * last denial. A source where at least as many users only approved as refused is a shared egress (sharedEgress.ts):
 * it opens nothing, and a campaign stored before it was judged so has no members.
 */
export function decideCampaign(
    view: Pick<SourceView, 'key' | 'head'>,
    merged: MergedSource,
    policy: Pick<CampaignPolicy, 'windowMs' | 'minUsers' | 'maxUsers'>,
    now: number,
    agent?: string,
): CampaignDecision {
    const egress = sharedEgressOf(merged);
    if (egress) {
        return {
            ...(view.head ? { campaign: view.head } : {}),
            proposed: false,
            members: [],
            users: 0,
            estimated: false,
            firstSeen: 0,
            lastSeen: 0,
            sharedEgress: egress,
        };
    }
    const { denials } = flatten(merged.users);
    const threshold = thresholdFor(view.key.type, policy);
    let campaign = view.head;
    let proposed = false;
    let end = campaign && chainEnd(denials, campaign.windowStart, policy.windowMs);
    const after = campaign ? (end ?? campaign.detectedAt) + policy.windowMs : -Infinity;
    const next = firstWindow(
        denials.filter((p) => p.time > after),
        threshold,
        policy.windowMs,
    );
    if (next) {
        campaign = {
            v: 1,
            id: campaignId(view.key, next.start),
            key: view.key,
            ...(agent ? { agent: agent.slice(0, 256) } : {}),
            windowStart: next.start,
            detectedAt: next.at,
            openedAt: now,
            threshold,
        };
        proposed = true;
        end = chainEnd(denials, next.start, policy.windowMs);
    }
    if (!campaign || end === undefined) {
        return {
            ...(campaign ? { campaign } : {}),
            proposed,
            members: [],
            users: 0,
            estimated: false,
            firstSeen: 0,
            lastSeen: 0,
        };
    }
    const to = end + policy.windowMs;
    const members = merged.users
        .flatMap((u) => memberOf(u, campaign.windowStart, to) ?? [])
        .sort((a, b) => a.firstSeen - b.firstSeen || (a.userId < b.userId ? -1 : 1))
        .map((m, rank): CampaignMember => ({ ...m, rank }));
    const estimated = merged.overflow && merged.estimatedUsers > members.length;
    return {
        campaign,
        proposed,
        members,
        users: estimated ? merged.estimatedUsers : members.length,
        estimated,
        firstSeen: Math.min(...members.map((m) => m.firstSeen)),
        lastSeen: end,
    };
}

/**
 * Which members get an incident: everyone up to CAMPAIGN_MAX_USERS (by first prompt), and beyond it whoever approved
 * or reported fraud: above the cap the campaign is one decision for a person, the rest are counted on it.
 */
export function wantsIncident(member: CampaignMember, policy: Pick<CampaignPolicy, 'maxUsers'>): boolean {
    return member.rank < policy.maxUsers || member.approved || member.fraudReports > 0;
}
