import type { ContainmentConfig } from '../settings/containment';
import { CampaignDecision, decideCampaign, wantsIncident } from '../campaign/campaignDecision';
import { SOURCE_TYPES, type CampaignPolicy } from '../campaign/campaignPolicy';
import { blockRangeOf } from '../campaign/blockRange';
import { campaignHoldReason } from '../campaign/campaignHold';
import { campaignView, CampaignView } from '../campaign/campaignView';
import { sourceKeyText } from '../campaign/sourceKeys';
import { SourceBatch, sourcePromptsOf } from '../campaign/sourcePrompts';
import { addToShard } from '../campaign/sourceShard';
import { CampaignHead, mergeShards, SourceBlockRecord } from '../campaign/sourceView';
import type { CampaignCache } from '../campaignRows/campaignCache';
import type { CampaignStore } from '../campaignRows/campaignStore';
import { isOpenSource, OPEN_CAMPAIGNS_TTL_MS, withOpenCampaign } from '../campaignRows/openCampaigns';
import { ConcurrencyConflictError, UnreadableRowError, WriteRejectedError } from '../errors';
import { mapConcurrent } from '../mapConcurrent';
import type { UserEvent } from '../signin/signInEvent';
import type { ContainedIncident } from '../userRow/userRow';
import type { SharedEgressNote } from './batchResult';
import type { UserRows } from '../userRow/userRows';
import { foldCampaignMember, MemberOutcome } from './foldCampaignMember';

/** What campaign detection needs in a batch: built once per runtime (the function) or per replay. */
export interface CampaignDeps {
    readonly store: CampaignStore;
    readonly policy: CampaignPolicy;
    readonly cache: CampaignCache;
    /** Where a new campaign's notices go: pending when a webhook is configured (else skipped). */
    readonly notify: boolean;
    /** BLOCK_CAMPAIGN_SOURCES=true: how long a block lasts, and whether it is done (live) or only said (dry-run). */
    readonly block?: { readonly durationMs: number; readonly live: boolean };
}

export interface CampaignStepOptions {
    readonly campaigns: CampaignDeps;
    readonly rows: UserRows;
    /** Detection's window (DENIAL_WINDOW_MINUTES): the episode of the incidents it opens. */
    readonly windowMs: number;
    readonly containment?: ContainmentConfig;
    /** This writer's shard of every source: its Event Hub partition (one reader at a time per partition). */
    readonly shard: string;
    readonly now: () => number;
}

/** Round trips and conflicts of the source rows, for `npm run bench` and the batch log. */
export interface CampaignStats {
    sources: number;
    shardReads: number;
    shardWrites: number;
    sourceReads: number;
    headWrites: number;
    /** Conflicts on a source's shards: two writers on one shard (a partition that moved, a redelivery elsewhere). */
    conflicts: number;
    /** Writers that raced to open (or mark) one campaign and took the winner's: once per campaign event. */
    headConflicts: number;
    memberships: number;
}

/** Counts before any work: every counter at zero. */
export function emptyCampaignStats(): CampaignStats {
    return {
        sources: 0,
        shardReads: 0,
        shardWrites: 0,
        sourceReads: 0,
        headWrites: 0,
        conflicts: 0,
        headConflicts: 0,
        memberships: 0,
    };
}

export interface CampaignStepResult {
    readonly newIncidents: ContainedIncident[];
    readonly updatedIncidents: ContainedIncident[];
    /** Campaigns this batch saw, as they stand after it. */
    readonly campaigns: CampaignView[];
    /** Campaigns this batch opened (their campaign row written by it). */
    readonly opened: CampaignView[];
    /** Campaign rows this batch opened or changed that have notices to send. */
    readonly pending: Array<{ readonly source: string; readonly head: CampaignHead }>;
    readonly stats: CampaignStats;
    /** Sources whose rows failed for a reason that may pass: the batch is retried. */
    readonly failures: Array<{ readonly source: string; readonly error: Error }>;
    /**
     * Rows the service refused for good (a source's, or a member's): logged and left, never retried for ever, so that
     * one source or one user never holds the partition. A member whose row cannot be read is left to their own next
     * batch, which sets the row aside.
     */
    readonly refused: Array<{ readonly what: string; readonly code: string; readonly message: string }>;
    /** Sources this batch judged a shared egress, the first time this process did (CampaignCache). */
    readonly sharedEgress: SharedEgressNote[];
}

/** Attempts of a conditional write to a source's rows before the batch is left to the host's retry. */
const MAX_ATTEMPTS = 8;

/**
 * Campaign detection for one batch, after every user's own row was updated: the batch's prompts by source (only
 * sources that key one), each source's shard written at most once (more only after a conflict), every shard of the
 * source then read in one query, and the campaign decided from them; the campaign row is created once per campaign
 * (create-if-absent: racing writers open one). Each member who gets an incident has it opened in their row. Sources
 * are taken narrowest type first (an address before its /24, before its autonomous system), so that a user sprayed
 * under several keys gets their incident from the narrowest campaign.
 */
export async function runCampaignStep(
    byUser: ReadonlyMap<string, readonly UserEvent[]>,
    familiar: (userId: string, ip: string) => boolean,
    options: CampaignStepOptions,
): Promise<CampaignStepResult> {
    const { campaigns } = options;
    const out: CampaignStepResult = {
        newIncidents: [],
        updatedIncidents: [],
        campaigns: [],
        opened: [],
        pending: [],
        stats: emptyCampaignStats(),
        failures: [],
        refused: [],
        sharedEgress: [],
    };
    const batches = await relevantSources(sourcePromptsOf(byUser, { policy: campaigns.policy, familiar }), options);
    // Users of the narrower campaigns decided so far in this batch: a wider source whose users all belong to those is
    // the same attack seen wider (the attacker's address, then its /24, then its network), not a campaign of its own.
    const covered = new Set<string>();
    for (const type of SOURCE_TYPES) {
        const ofType = batches.filter((b) => b.key.type === type);
        const decided: string[] = [];
        await mapConcurrent(ofType, 16, async (batch) => {
            try {
                decided.push(...(await updateSource(batch, options, out, covered)));
            } catch (e) {
                const source = sourceKeyText(batch.key);
                if (e instanceof WriteRejectedError) {
                    out.refused.push({ what: `source ${source}`, code: e.serviceCode, message: e.message });
                } else {
                    out.failures.push({ source, error: e instanceof Error ? e : new Error(String(e)) });
                }
            }
        });
        for (const userId of decided) covered.add(userId);
    }
    return out;
}

/**
 * Sources worth a round trip: every source with a declined or unanswered prompt in the batch; a source with only
 * approvals when it is one of the tenant's open campaigns (an approval from an attacking source is the news), or when
 * the batch writes it anyway.
 */
async function relevantSources(all: Map<string, SourceBatch>, options: CampaignStepOptions): Promise<SourceBatch[]> {
    const approvalsOnly = [...all.entries()].filter(([, b]) => b.prompts.every((p) => p.outcome === 'a'));
    if (approvalsOnly.length === 0) return [...all.values()];
    const { cache, store } = options.campaigns;
    const now = options.now();
    let open = cache.openCampaigns(now, OPEN_CAMPAIGNS_TTL_MS);
    if (!open) {
        open = (await store.readOpenCampaigns())?.doc?.campaigns ?? [];
        cache.keepOpenCampaigns(now, open);
    }
    const openList = open;
    for (const [text, b] of approvalsOnly) {
        if (!b.prompts.some((p) => isOpenSource(openList, text, p.time))) all.delete(text);
    }
    return [...all.values()];
}

/**
 * Writes this writer's shard of the source with the batch's prompts: at most one write when nobody races. A shard this
 * process does not know yet is created without a read (most sources are new to a writer); one that exists answers 409,
 * and is read and written again. Returns its version, and whether the batch added nothing (a redelivery).
 */
async function writeOwnShard(
    batch: SourceBatch,
    options: CampaignStepOptions,
    stats: CampaignStats,
): Promise<{ etag: string; unchanged: boolean }> {
    const { store, cache, policy } = options.campaigns;
    const source = sourceKeyText(batch.key);
    let stored = cache.shard(source, options.shard);
    for (let attempt = 1; ; attempt++) {
        const next = addToShard(stored?.doc, source, batch.prompts, policy);
        if (stored?.doc && JSON.stringify(next) === JSON.stringify(stored.doc)) {
            return { etag: stored.etag, unchanged: true };
        }
        try {
            stats.shardWrites++;
            const etag = await store.writeShard(source, options.shard, next, stored?.etag);
            cache.keepShard(source, options.shard, { doc: next, etag });
            return { etag, unchanged: false };
        } catch (e) {
            cache.forgetShard(source, options.shard);
            if (!(e instanceof ConcurrencyConflictError) || attempt >= MAX_ATTEMPTS) throw e;
            stats.conflicts++;
            stats.shardReads++;
            stored = await store.readShard(source, options.shard);
        }
    }
}

/** Reads the source, decides, and writes the campaign row when a campaign opens or goes past the cap. */
async function decideSource(
    batch: SourceBatch,
    options: CampaignStepOptions,
    stats: CampaignStats,
    covered: ReadonlySet<string>,
): Promise<{ decision: CampaignDecision; pending?: CampaignHead; subsumed?: true; opened?: true }> {
    const { store, policy, notify } = options.campaigns;
    const source = sourceKeyText(batch.key);
    for (let attempt = 1; ; attempt++) {
        stats.sourceReads++;
        const rows = await store.readSource(source);
        const decision = decideCampaign(
            { key: batch.key, ...(rows.head ? { head: rows.head.doc } : {}) },
            mergeShards(rows.shards),
            policy,
            options.now(),
            batch.agent,
        );
        const c = decision.campaign;
        const overCap = decision.users > policy.maxUsers;
        if (decision.proposed && decision.members.length > 0 && decision.members.every((m) => covered.has(m.userId))) {
            return { decision, subsumed: true };
        }
        if (!c || decision.members.length === 0 || (!decision.proposed && (c.overCap === true || !overCap))) {
            return { decision };
        }
        const notice = () => ({ status: notify ? ('pending' as const) : ('skipped' as const), attempts: 0 });
        const block = decision.proposed ? blockOf(c, options) : undefined;
        const head: CampaignHead = decision.proposed
            ? {
                  ...c,
                  ...(overCap ? { overCap: true } : {}),
                  notices: { opened: notice() },
                  ...(block ? { block } : {}),
              }
            : { ...c, overCap: true, notices: { ...c.notices, overCap: notice() } };
        try {
            stats.headWrites++;
            await store.writeHead(source, head, {
                ...(rows.head ? { etag: rows.head.etag } : {}),
                pending: notify || head.block?.status === 'pending',
                lastSeen: decision.lastSeen,
            });
            if (decision.proposed) await listOpenCampaign(source, head, decision, options);
            return {
                decision: { ...decision, campaign: head },
                pending: head,
                ...(decision.proposed ? { opened: true as const } : {}),
            };
        } catch (e) {
            // Another writer opened it (or marked it) meanwhile: read again and take theirs.
            if (!(e instanceof ConcurrencyConflictError) || attempt >= MAX_ATTEMPTS) throw e;
            stats.headConflicts++;
        }
    }
}

/** What blocking a new campaign's source is to do (BLOCK_CAMPAIGN_SOURCES), decided when it opens; none when off. */
function blockOf(c: CampaignHead, options: CampaignStepOptions): SourceBlockRecord | undefined {
    const { block, policy } = options.campaigns;
    if (!block) return undefined;
    const r = blockRangeOf(c.key, policy.trustedRanges);
    if ('reason' in r) return { status: 'skipped', reason: r.reason };
    const until = options.now() + block.durationMs;
    return block.live
        ? { range: r.range, until, status: 'pending' }
        : { range: r.range, until, status: 'skipped', reason: 'dry-run: the range would be blocked' };
}

async function listOpenCampaign(
    source: string,
    head: CampaignHead,
    decision: CampaignDecision,
    options: CampaignStepOptions,
): Promise<void> {
    const { store, policy } = options.campaigns;
    const entry = { id: head.id, source, until: decision.lastSeen + policy.windowMs + policy.retentionMs };
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const stored = await store.readOpenCampaigns();
        try {
            await store.writeOpenCampaigns(withOpenCampaign(stored?.doc, entry), stored?.etag);
            return;
        } catch (e) {
            if (!(e instanceof ConcurrencyConflictError)) throw e;
        }
    }
}

/** Updates one source, and returns the users of its campaign (none when it has none, or is a narrower one's). */
async function updateSource(
    batch: SourceBatch,
    options: CampaignStepOptions,
    out: CampaignStepResult,
    covered: ReadonlySet<string>,
): Promise<string[]> {
    const { cache } = options.campaigns;
    const source = sourceKeyText(batch.key);
    out.stats.sources++;
    const own = await writeOwnShard(batch, options, out.stats);
    const known = cache.decided(source, options.shard);
    if (own.unchanged && known?.etag === own.etag) return [...known.members];
    const members = await decideAndApply(batch, options, out, covered);
    cache.keepDecided(source, options.shard, own.etag, members);
    return members;
}

async function decideAndApply(
    batch: SourceBatch,
    options: CampaignStepOptions,
    out: CampaignStepResult,
    covered: ReadonlySet<string>,
): Promise<string[]> {
    const { policy, cache } = options.campaigns;
    const { decision, pending, subsumed, opened } = await decideSource(batch, options, out.stats, covered);
    const source = sourceKeyText(batch.key);
    if (decision.sharedEgress && cache.firstSharedEgress(source))
        out.sharedEgress.push({ source, ...decision.sharedEgress });
    const c = decision.campaign;
    if (!c || decision.members.length === 0 || subsumed) return [];
    if (pending) out.pending.push({ source, head: pending });
    const view = campaignView(decision, policy);
    if (view) out.campaigns.push(view);
    if (view && opened) out.opened.push(view);
    const wanted = decision.members.filter((m) => wantsIncident(m, policy));
    await mapConcurrent(wanted, 16, async (member) => {
        const key = `${c.id}|${member.userId}|${member.promptIds.join(',')}|${member.approved}`;
        if (cache.applied(key)) return;
        out.stats.memberships++;
        let result: MemberOutcome;
        try {
            result = await applyMember(member, c, decision, options);
        } catch (e) {
            if (!(e instanceof WriteRejectedError || e instanceof UnreadableRowError)) throw e;
            const code = e instanceof WriteRejectedError ? e.serviceCode : e.code;
            out.refused.push({ what: `user ${member.userId}`, code, message: e.message });
            return;
        }
        if (result.opened) out.newIncidents.push(result.opened);
        if (result.updated) out.updatedIncidents.push(result.updated);
        cache.markApplied(key);
    });
    return decision.members.map((m) => m.userId);
}

function applyMember(
    member: CampaignDecision['members'][number],
    c: CampaignHead,
    decision: CampaignDecision,
    options: CampaignStepOptions,
): Promise<MemberOutcome> {
    const { policy } = options.campaigns;
    const hold = campaignHoldReason({ id: c.id, type: c.key.type }, decision.users, policy);
    return options.rows.update(member.userId, (current) =>
        foldCampaignMember(
            current,
            {
                campaignId: c.id,
                source: `${c.key.type} ${c.key.value}`,
                detectedAt: c.detectedAt,
                users: decision.users,
                ...(hold ? { hold } : {}),
                member,
            },
            {
                membership: { windowMs: options.windowMs, campaignWindowMs: policy.windowMs },
                ...(options.containment ? { containment: options.containment } : {}),
                evictable: (containments) => options.rows.evictable(containments),
            },
            options.now(),
        ),
    );
}
