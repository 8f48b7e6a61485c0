import type { MfaKind } from '../signin/mfaKinds';
import { isSecurityInfoEvent, SignInEvent, UserEvent } from '../signin/signInEvent';
import type { CampaignPolicy } from './campaignPolicy';
import type { Outcome, SourcePrompt } from './sourceShard';
import { shortHash, SourceKey, sourceKeysOf, sourceKeyText } from './sourceKeys';

/**
 * What a campaign counts of a prompt: a push or call declined, left unanswered, reported as fraud, or approved. A wrong
 * SMS code is left out: it is someone typing a code, not a prompt sent to the user.
 */
const OUTCOMES: Partial<Record<MfaKind, Outcome>> = {
    'push-denied': 'd',
    'voice-denied': 'd',
    'push-timeout': 't',
    'voice-timeout': 't',
    // Entra's generic "didn't complete the MFA prompt" with no failed step to say why (and Graph v1.0 exports, which
    // carry no steps at all): a failed prompt of unknown outcome, counted as unanswered here as per user — degrade,
    // never go blind.
    'prompt-failed': 't',
    'fraud-report': 'f',
    'mfa-approved': 'a',
};

export function outcomeOf(kind: MfaKind): Outcome | undefined {
    return OUTCOMES[kind];
}

/**
 * A prompt's id: a short hash of its request id (`r:`), else its correlated MFA step (`s:`), else its row id (`i:`).
 * Rows of one prompt share it, and a user's stored prompt holds the key it came from (promptMatches).
 */
export function promptId(keys: readonly string[]): string | undefined {
    const key = keys.find((k) => k.startsWith('r:')) ?? keys.find((k) => k.startsWith('s:')) ?? keys[0];
    return key === undefined ? undefined : shortHash(key);
}

/** Whether a stored prompt (its merged keys) is one of these campaign prompt ids. */
export function promptMatches(keys: readonly string[], ids: ReadonlySet<string>): boolean {
    return keys.some((k) => ids.has(shortHash(k)));
}

/**
 * Sources one user's prompts may key in one batch. A user bombed from rotating addresses (thousands of IPv6 addresses
 * in a batch) is their own attack, which their own row detects; counted by source, each address would cost a write and
 * a read. A spray is many users from few sources, so a user's first sources are all it needs.
 */
export const MAX_SOURCES_PER_USER = 16;

/**
 * Sources a batch updates at most, those with the most users first: whatever an attacker sends, a batch costs a
 * bounded number of round trips, and a source that prompts many users is never crowded out by many that prompt one.
 */
export const MAX_SOURCES_PER_BATCH = 512;

/** One source's prompts in a batch, and how its user agent reads (for an `asn-agent` key, to show people). */
export interface SourceBatch {
    readonly key: SourceKey;
    readonly agent?: string;
    readonly prompts: SourcePrompt[];
}

export interface SourcePromptsOptions {
    readonly policy: Pick<CampaignPolicy, 'trustedRanges' | 'sharedAsns'>;
    /**
     * Whether the user approved MFA from this address in what their row remembers: a prompt from the user's own
     * network (a decline, then the same person approving from the same place) is not an attacker's, and keys nothing.
     */
    readonly familiar?: (userId: string, ipAddress: string) => boolean;
}

/**
 * A batch's prompts by source (only those that key one), in arrival order. Drill prompts never key a campaign: a
 * drill is one canary user.
 */
export function sourcePromptsOf(
    byUser: ReadonlyMap<string, readonly UserEvent[]>,
    options: SourcePromptsOptions,
): Map<string, SourceBatch> {
    const out = new Map<string, SourceBatch>();
    for (const [userId, events] of byUser) {
        const mine = new Set<string>();
        for (const e of events) {
            if (isSecurityInfoEvent(e) || e.drillId !== undefined) continue;
            const outcome = outcomeOf(e.kind);
            if (!outcome) continue;
            const id = promptId(e.keys);
            if (!id) continue;
            if (outcome !== 'a' && e.ipAddress && options.familiar?.(userId, e.ipAddress)) continue;
            addPrompt(out, mine, e, { userId, time: e.time, outcome, id, ...upn(e) }, options.policy);
        }
    }
    return busiest(out);
}

/** The MAX_SOURCES_PER_BATCH sources with the most distinct users (then by key, so that the choice is stable). */
function busiest(all: Map<string, SourceBatch>): Map<string, SourceBatch> {
    if (all.size <= MAX_SOURCES_PER_BATCH) return all;
    const users = (b: SourceBatch) => new Set(b.prompts.map((p) => p.userId)).size;
    const ranked = [...all.entries()]
        .map(([text, b]) => ({ text, b, n: users(b) }))
        .sort((x, y) => y.n - x.n || (x.text < y.text ? -1 : 1))
        .slice(0, MAX_SOURCES_PER_BATCH);
    return new Map(ranked.map(({ text, b }) => [text, b]));
}

function upn(e: SignInEvent): { userPrincipalName?: string } {
    return e.userPrincipalName ? { userPrincipalName: e.userPrincipalName } : {};
}

function addPrompt(
    out: Map<string, SourceBatch>,
    mine: Set<string>,
    e: SignInEvent,
    prompt: SourcePrompt,
    policy: SourcePromptsOptions['policy'],
): void {
    for (const key of sourceKeysOf(e, policy)) {
        const text = sourceKeyText(key);
        if (!mine.has(text)) {
            if (mine.size >= MAX_SOURCES_PER_USER) continue;
            mine.add(text);
        }
        let batch = out.get(text);
        if (!batch) {
            batch = { key, ...(key.type === 'asn-agent' && e.userAgent ? { agent: e.userAgent } : {}), prompts: [] };
            out.set(text, batch);
        }
        batch.prompts.push(prompt);
    }
}
