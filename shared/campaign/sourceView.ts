import type { SourceKey } from './sourceKeys';
import { mergedSketch, Outcome, SourceShard } from './sourceShard';
import { estimateUsers } from './userSketch';

/**
 * A source as a reader sees it: every writer's shard merged, and the campaign it opened if any. The campaign row is
 * written once per campaign (campaignDecision.ts); shards by their writers.
 */
export interface SourceView {
    readonly key: SourceKey;
    readonly shards: readonly SourceShard[];
    readonly head?: CampaignHead;
}

/** One prompt of a user from the source, merged across shards. */
export interface ViewPrompt {
    readonly id: string;
    readonly outcome: Outcome;
    readonly time: number;
}

export interface ViewUser {
    readonly userId: string;
    readonly userPrincipalName?: string;
    /** Sorted by time. */
    readonly prompts: readonly ViewPrompt[];
    /** Some of the user's prompts were not kept (the counts shown are a floor). */
    readonly more: boolean;
}

/** The source's users: the listed ones by name, and how many there are in all (estimated when some are not listed). */
export interface MergedSource {
    readonly users: readonly ViewUser[];
    readonly estimatedUsers: number;
    /** Users with a declined, unanswered or fraud-reported prompt: from the sketch when some users are not listed. */
    readonly estimatedRefusers: number;
    /** Some users are counted in the sketch only. */
    readonly overflow: boolean;
}

const RANK: Readonly<Record<Outcome, number>> = { a: 1, t: 2, d: 3, f: 4 };

/** Merges the shards: each prompt once (its most telling outcome, its earliest time), each user once. */
export function mergeShards(shards: readonly SourceShard[]): MergedSource {
    const users = new Map<string, { upn?: string; prompts: Map<string, ViewPrompt>; more: boolean }>();
    for (const shard of shards) {
        for (const [userId, u] of Object.entries(shard.users)) {
            let entry = users.get(userId);
            if (!entry) users.set(userId, (entry = { prompts: new Map(), more: false }));
            if (u.u) entry.upn ??= u.u;
            if (u.more) entry.more = true;
            for (const [id, outcome, seconds] of u.p) {
                const time = seconds * 1000;
                const known = entry.prompts.get(id);
                if (!known) {
                    entry.prompts.set(id, { id, outcome, time });
                    continue;
                }
                entry.prompts.set(id, {
                    id,
                    outcome: RANK[outcome] > RANK[known.outcome] ? outcome : known.outcome,
                    time: Math.min(time, known.time),
                });
            }
        }
    }
    const list: ViewUser[] = [...users.entries()]
        .map(([userId, u]) => ({
            userId,
            ...(u.upn ? { userPrincipalName: u.upn } : {}),
            prompts: [...u.prompts.values()].sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : 1)),
            more: u.more,
        }))
        .sort((a, b) => (a.userId < b.userId ? -1 : 1));
    const overflow = shards.some((s) => s.overflow === true);
    const listedRefusers = list.filter((u) => u.prompts.some((p) => p.outcome !== 'a')).length;
    return {
        users: list,
        estimatedUsers: overflow ? Math.max(list.length, estimateUsers(mergedSketch(shards))) : list.length,
        estimatedRefusers: overflow
            ? Math.max(listedRefusers, estimateUsers(mergedSketch(shards, 'refusers')))
            : listedRefusers,
        overflow,
    };
}

/** The notice a campaign row tracks: sent once when the campaign opens, and once if it grows past the cap. */
export interface CampaignNotice {
    status: 'pending' | 'sent' | 'failed' | 'skipped';
    attempts: number;
    at?: number;
    error?: string;
}

/** What blocking the source did: the range added to the named location, until when, and whether it was removed. */
export interface SourceBlockRecord {
    /** The range (a /32 or /128 address, a /24 or /64 network); absent when the source has none to block. */
    readonly range?: string;
    readonly until?: number;
    status: 'pending' | 'added' | 'removed' | 'refused' | 'skipped' | 'failed';
    reason?: string;
    /** Attempts of a block that failed (Graph or the Table row), retried by the timer up to MAX_STEP_ATTEMPTS. */
    attempts?: number;
}

/**
 * A campaign as stored in the source's campaign row: its identity and opening, written once (create if absent, so
 * that writers racing to open it open one), and the few things that change afterwards, each by a conditional write.
 */
export interface CampaignHead {
    readonly v: 1;
    readonly id: string;
    readonly key: SourceKey;
    /** The user agent of an `asn-agent` source, for people (cut). */
    readonly agent?: string;
    /** Event time of the first prompt of the window that reached the threshold, ms. */
    readonly windowStart: number;
    /** Event time of the prompt that reached it: when a live responder acts, ms. */
    readonly detectedAt: number;
    /** Wall-clock time the campaign was recorded, ms. */
    readonly openedAt: number;
    /** Distinct users the source's type needed within the window. */
    readonly threshold: number;
    /** Set once the campaign was seen with more users than CAMPAIGN_MAX_USERS. */
    overCap?: boolean;
    /** Notices to the SOC: when it opened, and when it went past the cap. */
    notices?: { opened?: CampaignNotice; overCap?: CampaignNotice };
    block?: SourceBlockRecord;
}
