import { CidrRange, formatRange, isPublic, parseIp, parseRange, rangeOf, rangesOverlap } from '../network/ipAddress';
import type { SourceKey } from './sourceKeys';

/** The widest range a campaign may block: an IPv4 /24, an IPv6 /48 (a site; anything wider holds strangers). */
export const WIDEST_BLOCK = { 4: 24, 6: 48 } as const;

/**
 * The range blocking a campaign's source would add to the named location, or why it blocks none: an address is its
 * /32 or /128, a network its /24 or /64; an autonomous system is not a range. Never a range that overlaps a trusted
 * one (TRUSTED_SOURCE_RANGES), never one that is not public (Graph refuses private ranges, and they are not an
 * attacker's), never wider than WIDEST_BLOCK.
 */
export function blockRangeOf(
    key: SourceKey,
    trustedRanges: readonly CidrRange[],
): { readonly range: string } | { readonly reason: string } {
    let range: CidrRange | undefined;
    if (key.type === 'address') {
        const ip = parseIp(key.value);
        if (ip) range = rangeOf(ip, ip.version === 4 ? 32 : 128);
    } else if (key.type === 'network') {
        range = parseRange(key.value);
    } else {
        return { reason: 'a campaign named by an autonomous system has no address range to block' };
    }
    if (!range) return { reason: `${key.value} is not an address range` };
    if (range.prefix < WIDEST_BLOCK[range.address.version]) {
        return { reason: `${formatRange(range)} is wider than a /${WIDEST_BLOCK[range.address.version]}` };
    }
    if (!isPublic(range.address)) return { reason: `${formatRange(range)} is not a public range` };
    const trusted = trustedRanges.find((t) => rangesOverlap(t, range));
    if (trusted) return { reason: `${formatRange(range)} overlaps trusted range ${formatRange(trusted)}` };
    return { range: formatRange(range) };
}
