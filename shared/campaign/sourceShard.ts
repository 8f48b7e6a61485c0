import { addUser, emptySketch, mergeSketch, sketchFromText, sketchToText } from './userSketch';

/**
 * What one writer stores about one source: a shard of the source's prompts. Each writer (an Event Hub partition)
 * writes its own shard, so that a source sprayed across every partition at once costs each writer one uncontended
 * write per batch; a reader merges the shards (sourceView.ts). Bounded whatever an attacker sends: at most
 * MAX_LISTED_USERS users by name with at most MAX_PROMPTS_PER_LISTED_USER prompts each, every user counted in a
 * fixed-size sketch. Pure and idempotent: adding the same prompts again gives the same shard, in any order.
 */

/** A prompt's outcome as a campaign counts it: declined, unanswered, reported as fraud, approved. */
export type Outcome = 'd' | 't' | 'f' | 'a';

/** The most telling outcome wins when rows of one prompt disagree (as for a user's own prompts). */
const OUTCOME_RANK: Readonly<Record<Outcome, number>> = { a: 1, t: 2, d: 3, f: 4 };

/** One prompt from a source, as a campaign counts it. */
export interface SourcePrompt {
    readonly userId: string;
    readonly userPrincipalName?: string;
    /** Event time, ms. */
    readonly time: number;
    readonly outcome: Outcome;
    /** A short hash of the prompt's identity key (promptId.ts): rows of one prompt share it. */
    readonly id: string;
}

/** `[prompt id, outcome, event time in seconds]`: short, because a shard holds many. */
export type ShardPrompt = readonly [string, Outcome, number];

export interface ShardUser {
    /** The user's UPN, cut to MAX_UPN_CHARS. */
    readonly u?: string;
    readonly p: readonly ShardPrompt[];
    /** More prompts were seen than are kept. */
    readonly more?: true;
}

export interface SourceShard {
    readonly v: 1;
    /** The source key's text (sourceKeyText). */
    readonly key: string;
    /** Newest prompt time, ms: retention is measured back from it. */
    readonly newest: number;
    /** Users by id. */
    readonly users: Readonly<Record<string, ShardUser>>;
    /** Every user the shard saw since the source was last quiet, listed or not (userSketch.ts, base64). */
    readonly sketch: string;
    /**
     * Every user with a declined, unanswered or fraud-reported prompt, over the same span as `sketch`: with it, a source
     * whose rows overflow still tells approvers from refusers (sharedEgress.ts). Absent in a shard nobody refused.
     */
    readonly refusers?: string;
    /** Some users are counted in the sketch only. */
    readonly overflow?: true;
}

/** Users a shard lists by name: enough for any campaign contained user by user, small enough to merge 32 shards. */
export const MAX_LISTED_USERS = 128;
export const MAX_PROMPTS_PER_LISTED_USER = 4;
export const MAX_UPN_CHARS = 64;

interface WorkingUser {
    upn?: string;
    prompts: Map<string, { outcome: Outcome; time: number }>;
    more: boolean;
}

/** How a user ranks for a place in the list: computed once per user, compared often. */
interface Ranked {
    readonly userId: string;
    readonly user: WorkingUser;
    /** 0 for an approver or fraud reporter, 1 otherwise. */
    readonly flag: number;
    readonly first: number;
}

function ranked(userId: string, user: WorkingUser): Ranked {
    let flag = 1;
    let first = Infinity;
    for (const p of user.prompts.values()) {
        if (p.outcome === 'a' || p.outcome === 'f') flag = 0;
        if (p.time < first) first = p.time;
    }
    return { userId, user, flag, first };
}

/** Approvers and fraud reporters first (they matter most), then by first prompt, then by id: the same order always. */
function userOrder(a: Ranked, b: Ranked): number {
    return a.flag - b.flag || a.first - b.first || (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0);
}

function maxTime(prompts: readonly SourcePrompt[], from: number): number {
    let max = from;
    for (const p of prompts) if (p.time > max) max = p.time;
    return max;
}

function minTime(prompts: readonly SourcePrompt[]): number {
    let min = Infinity;
    for (const p of prompts) if (p.time < min) min = p.time;
    return min;
}

function promptOrder(a: [string, { outcome: Outcome; time: number }], b: typeof a): number {
    const flagged = (o: Outcome) => (o === 'a' || o === 'f' ? 0 : 1);
    return flagged(a[1].outcome) - flagged(b[1].outcome) || a[1].time - b[1].time || (a[0] < b[0] ? -1 : 1);
}

/** The shard with these prompts added, pruned to the retention and its bounds. */
export function addToShard(
    shard: SourceShard | undefined,
    key: string,
    prompts: readonly SourcePrompt[],
    options: { readonly retentionMs: number },
): SourceShard {
    const users = new Map<string, WorkingUser>();
    for (const [userId, u] of Object.entries(shard?.users ?? {})) {
        const map = new Map<string, { outcome: Outcome; time: number }>();
        for (const [id, outcome, seconds] of u.p) map.set(id, { outcome, time: seconds * 1000 });
        users.set(userId, { ...(u.u ? { upn: u.u } : {}), prompts: map, more: u.more === true });
    }
    const newest = maxTime(prompts, shard?.newest ?? 0);
    // A source quiet for longer than the retention starts a fresh count.
    const fresh = shard !== undefined && prompts.length > 0 && minTime(prompts) > shard.newest + options.retentionMs;
    const sketch = fresh ? emptySketch() : sketchFromText(shard?.sketch);
    const refusers = fresh ? emptySketch() : sketchFromText(shard?.refusers);
    let refused = !fresh && shard?.refusers !== undefined;
    let overflow = !fresh && shard?.overflow === true;
    for (const p of prompts) {
        addUser(sketch, p.userId);
        if (p.outcome !== 'a') {
            addUser(refusers, p.userId);
            refused = true;
        }
        let u = users.get(p.userId);
        if (!u) users.set(p.userId, (u = { prompts: new Map(), more: false }));
        if (p.userPrincipalName) u.upn = p.userPrincipalName.slice(0, MAX_UPN_CHARS);
        // Whole seconds: what is stored, so that a prompt added again compares equal.
        const time = Math.floor(p.time / 1000) * 1000;
        const known = u.prompts.get(p.id);
        if (!known || OUTCOME_RANK[p.outcome] > OUTCOME_RANK[known.outcome] || time < known.time) {
            const outcome = known && OUTCOME_RANK[known.outcome] > OUTCOME_RANK[p.outcome] ? known.outcome : p.outcome;
            u.prompts.set(p.id, { outcome, time: Math.min(time, known?.time ?? time) });
        }
    }
    const cutoff = newest - options.retentionMs;
    const kept: Ranked[] = [];
    for (const [userId, u] of users) {
        for (const [id, p] of u.prompts) if (p.time < cutoff) u.prompts.delete(id);
        if (u.prompts.size > 0) kept.push(ranked(userId, u));
    }
    kept.sort(userOrder);
    if (kept.length > MAX_LISTED_USERS) overflow = true;
    const listed = kept.slice(0, MAX_LISTED_USERS).sort((a, b) => (a.userId < b.userId ? -1 : 1));
    const out: Record<string, ShardUser> = {};
    for (const { userId, user: u } of listed) {
        const all = [...u.prompts.entries()].sort(promptOrder);
        const p = all
            .slice(0, MAX_PROMPTS_PER_LISTED_USER)
            .sort((a, b) => a[1].time - b[1].time || (a[0] < b[0] ? -1 : 1))
            .map(([id, x]): ShardPrompt => [id, x.outcome, x.time / 1000]);
        out[userId] = {
            ...(u.upn ? { u: u.upn } : {}),
            p,
            ...(u.more || all.length > MAX_PROMPTS_PER_LISTED_USER ? { more: true as const } : {}),
        };
    }
    return {
        v: 1,
        key,
        newest,
        users: out,
        sketch: sketchToText(sketch),
        ...(refused ? { refusers: sketchToText(refusers) } : {}),
        ...(overflow ? { overflow: true as const } : {}),
    };
}

/** The union of shards' sketches: of every user, or of the users who refused. */
export function mergedSketch(shards: readonly SourceShard[], which: 'sketch' | 'refusers' = 'sketch'): Uint8Array {
    const sketch = emptySketch();
    for (const s of shards) mergeSketch(sketch, sketchFromText(s[which]));
    return sketch;
}
