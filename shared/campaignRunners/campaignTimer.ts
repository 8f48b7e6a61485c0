import type { ContainmentDeps } from '../runners/containmentDeps';
import { runCampaignWork } from './campaignWork';

export interface CampaignTimerResult {
    /** Campaign notices sent. */
    notices: number;
    /** Blocked ranges past SOURCE_BLOCK_HOURS, taken out of the named location. */
    unblocked: number;
    /** Campaign rows forgotten (sources quiet for longer than the retention, campaigns long over). */
    expired: number;
    failed: number;
}

/**
 * The timer's share of campaign work: the notices and source blocks campaign rows still owe (a webhook or Graph that
 * failed in the handler), the blocked ranges past their time, and the rows of sources long quiet. Each part fails on
 * its own, logged; none stops the others or the rest of the timer.
 */
export async function runCampaignTimer(
    deps: ContainmentDeps,
    options: { readonly deadline?: number; readonly idleMs?: number; readonly historyMs?: number },
): Promise<CampaignTimerResult> {
    const result: CampaignTimerResult = { notices: 0, unblocked: 0, expired: 0, failed: 0 };
    const campaigns = deps.campaigns;
    if (!campaigns) return result;
    const now = deps.now ?? Date.now;
    const attempt = async (what: string, fn: () => Promise<void>) => {
        try {
            await fn();
        } catch (e) {
            result.failed++;
            deps.logger.error(
                `Containment timer: ${what} failed and is retried on the next run: ${(e as Error).message}`,
            );
        }
    };
    await attempt('campaign notices and blocks', async () => {
        const pending: Array<{ source: string }> = [];
        for await (const { source } of campaigns.store.listPendingHeads()) pending.push({ source });
        result.notices = await runCampaignWork(
            pending,
            {
                ...campaigns,
                config: deps.config,
                ...(deps.notify ? { notify: deps.notify } : {}),
                ...(deps.sourceBlocker ? { blocker: deps.sourceBlocker } : {}),
                logger: deps.logger,
                now,
            },
            options.deadline !== undefined ? { deadline: options.deadline } : {},
        );
    });
    if (deps.sourceBlocker) {
        const blocker = deps.sourceBlocker;
        await attempt('expiring blocked sources', async () => void (result.unblocked = await blocker.expire()));
    }
    if (options.idleMs !== undefined) {
        // Event time and wall clock differ little for a live stream: rows quiet for the retention (shards) or the
        // history (campaign rows, nothing pending) are forgotten.
        const history = Math.max(options.historyMs ?? 0, campaigns.policy.retentionMs);
        await attempt('expiring campaign rows', async () => {
            result.expired = await campaigns.store.expire(now() - history);
        });
    }
    return result;
}
