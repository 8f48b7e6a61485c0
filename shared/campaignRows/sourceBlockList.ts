import type { BlockedRange, SourceBlocks } from './campaignStore';

/**
 * The ranges the responder keeps in the block named location, as pure changes of its own list (the Table row that
 * serialises every change of the location; sourceBlocker.ts syncs the location to it).
 */
type BlockList = SourceBlocks;

/** Ranges the responder holds at once at most: half the location's 2,000, the other half left to the tenant's own. */
export const MAX_BLOCKED_RANGES = 1000;

export function emptyBlockList(): BlockList {
    return { v: 1, ranges: [] };
}

/** With this range (its expiry pushed back if it was there); unchanged, with `full`, when the list is full. */
export function withBlock(list: BlockList, entry: BlockedRange): { list: BlockList; full?: true } {
    const known = list.ranges.find((r) => r.range === entry.range);
    if (!known && list.ranges.length >= MAX_BLOCKED_RANGES) return { list, full: true };
    const ranges = known
        ? list.ranges.map((r) => (r === known ? { ...r, until: Math.max(r.until, entry.until) } : r))
        : [...list.ranges, entry];
    return { list: { ...list, ranges, removed: (list.removed ?? []).filter((r) => r !== entry.range) } };
}

/** Without the ranges `drop` picks (a released campaign's, expired ones): they move to `removed` until synced. */
export function withoutBlocks(list: BlockList, drop: (r: BlockedRange) => boolean): BlockList {
    const gone = list.ranges.filter(drop).map((r) => r.range);
    if (gone.length === 0) return list;
    return {
        ...list,
        ranges: list.ranges.filter((r) => !drop(r)),
        removed: [...new Set([...(list.removed ?? []), ...gone])],
    };
}

/**
 * What the location should hold: every range that is not the responder's (the tenant's own, setup's placeholder) and
 * the responder's current ones. `placeholder` keeps a location valid when nothing else is left (Graph needs one range).
 */
export function desiredRanges(location: readonly string[], list: BlockList, placeholder: string): string[] {
    const ours = new Set([...list.ranges.map((r) => r.range), ...(list.removed ?? [])]);
    const next = [...new Set([...location.filter((r) => !ours.has(r)), ...list.ranges.map((r) => r.range)])];
    return next.length > 0 ? next : [placeholder];
}
