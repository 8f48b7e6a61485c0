import type { OpenCampaign, OpenCampaigns } from './campaignStore';

/** Campaigns the tenant-wide list holds at most (about 100 characters each): a small row read once a TTL. */
export const MAX_OPEN_CAMPAIGNS = 200;
/** How long a process trusts the list it read before reading it again, ms. */
export const OPEN_CAMPAIGNS_TTL_MS = 15_000;

/**
 * The list with this campaign in it (its entry replaced if it was there), the newest MAX_OPEN_CAMPAIGNS by how long
 * they run. Pure and idempotent. Campaigns long over are dropped: a list is about what is going on.
 */
export function withOpenCampaign(doc: OpenCampaigns | undefined, entry: OpenCampaign): OpenCampaigns {
    const newest = Math.max(entry.until, ...(doc?.campaigns ?? []).map((c) => c.until));
    const campaigns = [entry, ...(doc?.campaigns ?? []).filter((c) => c.id !== entry.id)]
        .filter((c) => c.until >= newest - 7 * 24 * 3_600_000)
        .sort((a, b) => b.until - a.until || (a.id < b.id ? -1 : 1))
        .slice(0, MAX_OPEN_CAMPAIGNS);
    return { v: 1, campaigns };
}

/** Whether an approval at `time` from this source belongs to one of the open campaigns. */
export function isOpenSource(campaigns: readonly OpenCampaign[], source: string, time: number): boolean {
    return campaigns.some((c) => c.source === source && time <= c.until);
}
