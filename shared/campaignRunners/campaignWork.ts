import type { ContainmentConfig } from '../settings/containment';
import { decideCampaign } from '../campaign/campaignDecision';
import type { CampaignPolicy } from '../campaign/campaignPolicy';
import { campaignView } from '../campaign/campaignView';
import { CampaignHead, CampaignNotice, mergeShards } from '../campaign/sourceView';
import type { CampaignStore } from '../campaignRows/campaignStore';
import { ConcurrencyConflictError } from '../errors';
import type { Logger } from '../logger';
import { campaignNoticeBody, CampaignNoticeKind } from '../notices/campaignCard';
import type { Notifier } from '../notices/notifier';
import type { SourceBlocker } from './sourceBlocker';

/** What the campaign rows' own work needs: their store and policy, the notifier, and the source blocker if on. */
export interface CampaignWorkDeps {
    readonly store: CampaignStore;
    readonly policy: CampaignPolicy;
    readonly config: Pick<ContainmentConfig, 'resetPassword' | 'notifyFormat' | 'maxStepAttempts'>;
    readonly notify?: Notifier;
    /** BLOCK_CAMPAIGN_SOURCES=true in live mode. */
    readonly blocker?: SourceBlocker;
    readonly logger: Logger;
    readonly now?: () => number;
}

/** Users a notice lists by name at most (the Teams card lists fewer, and counts the rest). */
const MAX_LISTED = 100;

const KINDS: ReadonlyArray<[CampaignNoticeKind, 'opened' | 'overCap']> = [
    ['opened', 'opened'],
    ['over-cap', 'overCap'],
];

/** A notice still to send: pending, or failed with attempts left (retried by the timer). */
export function isCampaignNoticeDue(n: CampaignNotice | undefined, maxAttempts: number): boolean {
    return n !== undefined && (n.status === 'pending' || (n.status === 'failed' && n.attempts < maxAttempts));
}

/** A block still to do: pending, or failed with attempts left. */
function isBlockDue(head: CampaignHead, maxAttempts: number): boolean {
    const b = head.block;
    return b !== undefined && (b.status === 'pending' || (b.status === 'failed' && (b.attempts ?? 0) < maxAttempts));
}

/** Whether the campaign row still has work for the timer. */
export function headHasWork(head: CampaignHead, maxAttempts: number): boolean {
    return (
        isCampaignNoticeDue(head.notices?.opened, maxAttempts) ||
        isCampaignNoticeDue(head.notices?.overCap, maxAttempts) ||
        isBlockDue(head, maxAttempts)
    );
}

/**
 * The campaign rows' own work: blocks the source when a block is due (BLOCK_CAMPAIGN_SOURCES), then sends the
 * notices that are due, each built from the source's rows as they are now (the users known so far), and records each
 * outcome on the campaign row by a conditional write. A failure is recorded and retried by the timer
 * (MAX_STEP_ATTEMPTS), never thrown; a source whose rows cannot be read is logged and left for the next run.
 */
export async function runCampaignWork(
    sources: ReadonlyArray<{ readonly source: string }>,
    deps: CampaignWorkDeps,
    options: { readonly deadline?: number } = {},
): Promise<number> {
    const now = deps.now ?? Date.now;
    let sent = 0;
    for (const source of new Set(sources.map((s) => s.source))) {
        if (options.deadline !== undefined && now() >= options.deadline) break;
        try {
            sent += await workOf(source, deps, options);
        } catch (e) {
            deps.logger.warn(`Campaign work of source ${source} left for the timer: ${(e as Error).message}`);
        }
    }
    return sent;
}

async function blockSource(head: CampaignHead, deps: CampaignWorkDeps): Promise<void> {
    const b = head.block!;
    if (!deps.blocker || b.range === undefined || b.until === undefined) {
        head.block = { ...b, status: 'skipped', reason: b.reason ?? 'source blocking is not configured' };
        return;
    }
    try {
        head.block = { ...(await deps.blocker.block(head.id, b.range, b.until)) };
    } catch (e) {
        const reason = (e instanceof Error ? e.message : String(e)).slice(0, 300);
        head.block = { ...b, status: 'failed', reason, attempts: (b.attempts ?? 0) + 1 };
        deps.logger.warn(`Blocking ${b.range} for campaign ${head.id} failed: ${reason}`);
    }
}

async function workOf(source: string, deps: CampaignWorkDeps, options: { deadline?: number }): Promise<number> {
    const now = deps.now ?? Date.now;
    const rows = await deps.store.readSource(source);
    if (!rows.head) return 0;
    const head: CampaignHead = structuredClone(rows.head.doc);
    const max = deps.config.maxStepAttempts;
    const blockDue = isBlockDue(head, max);
    if (blockDue) await blockSource(head, deps);
    const due = KINDS.filter(([, field]) => isCampaignNoticeDue(head.notices?.[field], max));
    if (due.length === 0 && !blockDue) return 0;
    const decision = decideCampaign({ key: head.key, head }, mergeShards(rows.shards), deps.policy, now());
    const view = campaignView(decision, deps.policy, { maxListed: MAX_LISTED });
    let sent = 0;
    for (const [kind, field] of due) {
        const notice = head.notices![field]!;
        if (!deps.notify || !view) {
            Object.assign(notice, { status: 'skipped', at: now() });
            continue;
        }
        try {
            await deps.notify(campaignNoticeBody(view, kind, deps.config), {
                ...(options.deadline !== undefined ? { timeoutMs: Math.max(1, options.deadline - now()) } : {}),
            });
            Object.assign(notice, { status: 'sent', attempts: notice.attempts + 1, at: now() });
            delete notice.error;
            sent++;
        } catch (e) {
            const error = (e instanceof Error ? e.message : String(e)).slice(0, 300);
            Object.assign(notice, { status: 'failed', attempts: notice.attempts + 1, at: now(), error });
            deps.logger.warn(`Campaign notice ${kind} of ${head.id} failed: ${error}`);
        }
    }
    try {
        await deps.store.writeHead(source, head, {
            etag: rows.head.etag,
            pending: headHasWork(head, max),
            lastSeen: decision.lastSeen || head.detectedAt,
        });
    } catch (e) {
        // Someone changed the row meanwhile: the notice may go again (at least once), never not at all.
        if (!(e instanceof ConcurrencyConflictError)) throw e;
    }
    return sent;
}
