import { chainEnd, firstWindow } from '../shared/campaign/campaignDecision';
import { CampaignPolicy, SOURCE_TYPES, SourceType, thresholdFor } from '../shared/campaign/campaignPolicy';
import { sourcePromptsOf } from '../shared/campaign/sourcePrompts';
import type { UserEvent } from '../shared/signin/signInEvent';

/** One prompt of a source as the sweep keeps it: who, when, and whether it was an approval. */
interface Kept {
    readonly userId: string;
    readonly time: number;
    readonly approval: boolean;
}

/**
 * Keeps a replay's prompts by source (the keys campaign detection reads: trusted sources and shared networks already
 * left out), compact and bounded, so that the HTML report can find the campaigns again for other settings. Past
 * `maxPrompts` later prompts are counted, not kept.
 */
export class SourceRecorder {
    readonly #sources = new Map<string, { type: SourceType; prompts: Kept[] }>();
    #kept = 0;
    #dropped = 0;

    constructor(
        private readonly policy: Pick<CampaignPolicy, 'trustedRanges' | 'sharedAsns'>,
        private readonly maxPrompts = 500_000,
    ) {}

    get dropped(): number {
        return this.#dropped;
    }

    /** Takes one batch's parsed events (the replay's onParsed). */
    readonly add = (byUser: ReadonlyMap<string, readonly UserEvent[]>): void => {
        for (const [text, batch] of sourcePromptsOf(byUser, { policy: this.policy })) {
            let source = this.#sources.get(text);
            if (!source) this.#sources.set(text, (source = { type: batch.key.type, prompts: [] }));
            for (const p of batch.prompts) {
                if (this.#kept >= this.maxPrompts) {
                    this.#dropped++;
                    continue;
                }
                this.#kept++;
                source.prompts.push({ userId: p.userId, time: p.time, approval: p.outcome === 'a' });
            }
        }
    };

    sources(): IterableIterator<{ type: SourceType; prompts: Kept[] }> {
        return this.#sources.values();
    }
}

export interface CampaignSweepCell {
    readonly minUsers: number;
    readonly windowMinutes: number;
    readonly campaigns: number;
    /** Distinct users prompted in at least one campaign. */
    readonly users: number;
}

export interface CampaignSweep {
    readonly minUsers: readonly number[];
    readonly windowsMinutes: readonly number[];
    readonly cells: readonly CampaignSweepCell[];
    readonly current: { readonly minUsers: number; readonly windowMinutes: number };
    /** Prompts read but not kept (past the memory bound): the sweep is then partial. */
    readonly dropped: number;
}

const MIN_USERS = [3, 5, 8, 10, 15, 20, 30, 50];
const WINDOWS = [15, 30, 60, 120, 240];

/**
 * Every source's campaigns for one CAMPAIGN_MIN_USERS and CAMPAIGN_WINDOW_MINUTES: the same rule as the live decision
 * (campaignDecision.ts: the first window reaching the type's threshold, chained while prompts keep coming within the
 * window), one campaign after another. A wider source whose users all belong to narrower campaigns is the same attack
 * seen wider and is not counted, as live.
 */
function cellFor(
    recorder: SourceRecorder,
    minUsers: number,
    windowMs: number,
): { campaigns: number; users: Set<string> } {
    const covered = new Set<string>();
    let campaigns = 0;
    for (const type of SOURCE_TYPES) {
        const found: Array<Set<string>> = [];
        for (const source of recorder.sources()) {
            if (source.type !== type) continue;
            const all = [...source.prompts].sort((a, b) => a.time - b.time);
            const denials = all.filter((p) => !p.approval);
            let after = -Infinity;
            for (;;) {
                const w = firstWindow(
                    denials.filter((p) => p.time > after),
                    thresholdFor(type, { minUsers }),
                    windowMs,
                );
                if (!w) break;
                const end = chainEnd(denials, w.start, windowMs) ?? w.at;
                const users = new Set(
                    all.filter((p) => p.time >= w.start && p.time <= end + windowMs).map((p) => p.userId),
                );
                if ([...users].some((u) => !covered.has(u))) found.push(users);
                after = end + windowMs;
            }
        }
        campaigns += found.length;
        for (const users of found) for (const u of users) covered.add(u);
    }
    return { campaigns, users: covered };
}

/** The sweep over CAMPAIGN_MIN_USERS × CAMPAIGN_WINDOW_MINUTES, the run's own settings always on the grid. */
export function campaignSweep(
    recorder: SourceRecorder,
    policy: Pick<CampaignPolicy, 'minUsers' | 'windowMs'>,
): CampaignSweep {
    const current = { minUsers: policy.minUsers, windowMinutes: Math.round(policy.windowMs / 60_000) };
    const withCurrent = (values: number[], c: number) => [...new Set([...values, c])].sort((a, b) => a - b);
    const minUsers = withCurrent(MIN_USERS, current.minUsers);
    const windowsMinutes = withCurrent(WINDOWS, current.windowMinutes);
    const cells = minUsers.flatMap((m) =>
        windowsMinutes.map((w) => {
            const cell = cellFor(recorder, m, w * 60_000);
            return { minUsers: m, windowMinutes: w, campaigns: cell.campaigns, users: cell.users.size };
        }),
    );
    return { minUsers, windowsMinutes, cells, current, dropped: recorder.dropped };
}
