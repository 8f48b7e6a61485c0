import type { CampaignHead, SourceBlockRecord } from '../campaign/sourceView';
import type { CampaignStore, SourceBlocks } from '../campaignRows/campaignStore';
import { desiredRanges, emptyBlockList, withBlock, withoutBlocks } from '../campaignRows/sourceBlockList';
import { ConcurrencyConflictError, ResponderError } from '../errors';
import type { Logger } from '../logger';
import { MAX_LOCATION_RANGES, NamedLocationActions } from '../graph/namedLocations';

/**
 * Keeps `mfa-responder setup`'s placeholder in the location when nothing else is: Graph needs one range, and this one
 * (TEST-NET-1, RFC 5737) is never routed on the internet, so blocking it blocks nobody.
 */
export const PLACEHOLDER_RANGE = '192.0.2.0/24';

/** Attempts of one change before it is left to the timer (the Table row or the location kept changing). */
const MAX_ATTEMPTS = 5;

export interface SourceBlockerOptions {
    readonly store: CampaignStore;
    readonly locations: NamedLocationActions;
    readonly locationId: string;
    readonly logger: Logger;
    readonly now?: () => number;
}

/**
 * Blocking campaign sources in Conditional Access: the ranges the responder put in the block named location live in
 * one Table row (its own list, each range with its expiry and campaign), changed by ETag; the location is then made
 * to hold the tenant's own ranges plus the list, by read, PATCH (which replaces every range) and read back. Graph
 * documents no ETag for named locations, so every change goes through the row: two writers never PATCH from the same
 * version of the list and both record it, and a PATCH from a stale list is followed by one from the newer list.
 */
export class SourceBlocker {
    constructor(private readonly options: SourceBlockerOptions) {}

    get #now(): number {
        return (this.options.now ?? Date.now)();
    }

    /** Adds a campaign's range (until `until`), syncs the location, and says what became of it. */
    async block(campaignId: string, range: string, until: number): Promise<SourceBlockRecord> {
        let full = false;
        await this.#change((list) => {
            const r = withBlock(list, { range, until, campaignId });
            full = r.full === true;
            return r.list;
        });
        if (full) return { range, until, status: 'refused', reason: 'the responder already holds its 1,000 ranges' };
        return { range, until, status: 'added' };
    }

    /** Removes a campaign's ranges (its users were released) and syncs the location. */
    async release(campaignId: string): Promise<void> {
        await this.#change((list) => withoutBlocks(list, (r) => r.campaignId === campaignId));
    }

    /**
     * The timer's turn: removes every range past its expiry, and checks the location still holds the list (a range a
     * person deleted by hand, or a write that raced, is put back). Returns how many ranges expired.
     */
    async expire(): Promise<number> {
        const now = this.#now;
        let expired = 0;
        await this.#change(
            (list) => {
                const next = withoutBlocks(list, (r) => r.until <= now);
                expired = list.ranges.length - next.ranges.length;
                return next;
            },
            { check: true },
        );
        return expired;
    }

    /**
     * One change of the list and the location it drives, until both agree (or MAX_ATTEMPTS). Nothing is read from
     * Graph when the list did not change and nothing waits to be removed, unless `check` asks.
     */
    async #change(change: (list: SourceBlocks) => SourceBlocks, options: { check?: boolean } = {}): Promise<void> {
        const { store } = this.options;
        for (let attempt = 1; ; attempt++) {
            const stored = await store.readBlocks();
            const before = stored?.doc ?? emptyBlockList();
            const list = change(before);
            const changed = JSON.stringify(list) !== JSON.stringify(before) || (before.removed?.length ?? 0) > 0;
            if (!changed && !(options.check && list.ranges.length > 0)) return;
            await this.#sync(list);
            if (!changed) return;
            try {
                await store.writeBlocks({ v: 1, ranges: list.ranges }, stored?.etag);
                return;
            } catch (e) {
                // The list changed while the location was synced: sync again from the newer list.
                if (!(e instanceof ConcurrencyConflictError) || attempt >= MAX_ATTEMPTS) throw e;
            }
        }
    }

    /** Makes the location hold the tenant's ranges and the list's, and reads it back. */
    async #sync(list: SourceBlocks): Promise<void> {
        const { locations, locationId } = this.options;
        const location = await locations.getNamedLocation(locationId);
        if (location.isTrusted) {
            throw new ResponderError(
                'TrustedBlockLocation',
                `named location ${locationId} is marked trusted: a block policy there would be a trust; BLOCK_LOCATION_ID must name the untrusted location setup created`,
            );
        }
        const next = desiredRanges(location.ranges, list, PLACEHOLDER_RANGE).slice(0, MAX_LOCATION_RANGES);
        const same = next.length === location.ranges.length && next.every((r) => location.ranges.includes(r));
        if (!same) await locations.updateNamedLocation(locationId, next);
        const after = await locations.getNamedLocation(locationId);
        const missing = list.ranges.filter((r) => !after.ranges.includes(r.range));
        const lingering = (list.removed ?? []).filter((r) => after.ranges.includes(r));
        if (missing.length > 0 || lingering.length > 0) {
            throw new ResponderError(
                'BlockNotApplied',
                `the block named location does not read back as written (${missing.length} range(s) missing, ${lingering.length} still there): retried later`,
            );
        }
    }
}

/** The block a campaign's row records, as the timer and the notices read it: still to do? */
export function blockPending(head: CampaignHead): boolean {
    return head.block?.status === 'pending';
}
