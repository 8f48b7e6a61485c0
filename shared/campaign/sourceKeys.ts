import { createHash } from 'node:crypto';

import type { SignInEvent } from '../signin/signInEvent';
import type { CampaignPolicy, SourceType } from './campaignPolicy';
import { formatIp, formatRange, isPublic, parseIp, rangeContains, rangeOf } from '../network/ipAddress';

/** Where prompts come from, as a campaign is keyed: one of the four source types and its canonical value. */
export interface SourceKey {
    readonly type: SourceType;
    /** `203.0.113.7`, `203.0.113.0/24`, `2001:db8:1:2::/64`, `AS64500`, `AS64500 ua:3f2a9c01b4d7`. */
    readonly value: string;
}

/** The one text a source key is stored and compared as: `address:203.0.113.7`. */
export function sourceKeyText(key: SourceKey): string {
    return `${key.type}:${key.value}`;
}

/** 12 hex digits of SHA-256: a user agent is long, and an id of it is all a key needs. */
export function shortHash(text: string, length = 12): string {
    return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** The prefix a network key takes: an IPv4 /24, an IPv6 /64 (one site or one home). */
export const NETWORK_PREFIX = { 4: 24, 6: 64 } as const;

/**
 * The source keys of one prompt. None when it came from a trusted named location (Entra says so in
 * `networkLocationDetails`), from TRUSTED_SOURCE_RANGES (NPS extension, AD FS, VDI and proxy egress), or from an address
 * that is not public (an internal hop: no attacker on the internet is named by it). An autonomous system keys alone,
 * and with the user agent, only when it is not a shared network (sharedNetworks.ts).
 */
export function sourceKeysOf(
    event: Pick<SignInEvent, 'ipAddress' | 'asn' | 'userAgent' | 'trustedLocation'>,
    policy: Pick<CampaignPolicy, 'trustedRanges' | 'sharedAsns'>,
): SourceKey[] {
    if (event.trustedLocation) return [];
    const keys: SourceKey[] = [];
    const ip = parseIp(event.ipAddress);
    if (event.ipAddress !== undefined && event.ipAddress !== '') {
        if (!ip || !isPublic(ip) || policy.trustedRanges.some((r) => rangeContains(r, ip))) return [];
        keys.push({ type: 'address', value: formatIp(ip) });
        keys.push({ type: 'network', value: formatRange(rangeOf(ip, NETWORK_PREFIX[ip.version])) });
    }
    if (event.asn !== undefined && !policy.sharedAsns.has(event.asn)) {
        if (event.userAgent) keys.push({ type: 'asn-agent', value: `AS${event.asn} ua:${shortHash(event.userAgent)}` });
        keys.push({ type: 'asn', value: `AS${event.asn}` });
    }
    return keys;
}
