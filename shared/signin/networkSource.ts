import { SHARED_NETWORK_ASNS } from '../network/sharedNetworks';

/**
 * Whether two sign-ins came from the same source: the same address, the same /24 (IPv4) or /64 (IPv6) network, or
 * the same autonomous system (`autonomousSystemNumber` of the sign-in record). An attacker who rotates addresses
 * within a provider's range or a residential proxy's network stays one source; a victim's own approval from home
 * matches the attacker's denials only by coincidence of network, which the count of denials then has to outweigh.
 */

/** How close two sources are, most specific first. */
export type SourceMatch = 'address' | 'network' | 'autonomous-system';

export interface Source {
    readonly ipAddress?: string;
    readonly asn?: number;
}

/** The /24 of an IPv4 address or the /64 of an IPv6 one, as a comparable text; undefined for anything else. */
export function networkOf(ip: string): string | undefined {
    const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip.trim());
    if (v4) return v4.slice(1, 4).every((o) => Number(o) <= 255) ? `${v4[1]}.${v4[2]}.${v4[3]}` : undefined;
    const v6 = expandIpv6(ip.trim().toLowerCase());
    return v6 ? v6.slice(0, 4).join(':') : undefined;
}

/** The eight groups of an IPv6 address (zone and embedded IPv4 tail dropped), or undefined when it is not one. */
function expandIpv6(text: string): string[] | undefined {
    const ip = text.replace(/%.*$/, '').replace(/^\[|\]$/g, '');
    if (!ip.includes(':') || !/^[0-9a-f:.]+$/.test(ip)) return undefined;
    const halves = ip.split('::');
    if (halves.length > 2) return undefined;
    // An embedded IPv4 tail (::ffff:192.0.2.1) is two groups.
    const groups = (part: string) =>
        part === ''
            ? []
            : part.split(':').flatMap((g) => (g.includes('.') ? ['v4', 'v4'] : [g.replace(/^0+(?=.)/, '')]));
    const head = groups(halves[0]!);
    const tail = halves.length === 2 ? groups(halves[1]!) : [];
    const missing = 8 - head.length - tail.length;
    if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
    const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
    return all.every((g) => /^[0-9a-f]{1,4}$/.test(g) || g === 'v4') ? all : undefined;
}

/** How `a` and `b` are the same source, or undefined when they are not (or one of them says nothing). */
export function sourceMatch(a: Source, b: Source): SourceMatch | undefined {
    if (a.ipAddress !== undefined && b.ipAddress !== undefined) {
        if (a.ipAddress.toLowerCase() === b.ipAddress.toLowerCase()) return 'address';
        const net = networkOf(a.ipAddress);
        if (net !== undefined && net === networkOf(b.ipAddress)) return 'network';
    }
    if (sameAutonomousSystem(a.asn, b.asn)) return 'autonomous-system';
    return undefined;
}

/**
 * Whether two sign-ins share an autonomous system that says something: a carrier's or a cloud's (CGNAT, mobile data,
 * hosting; network/sharedNetworks.ts) is shared by unrelated people, so the same one is no evidence of the same source.
 */
export function sameAutonomousSystem(a: number | undefined, b: number | undefined): boolean {
    return a !== undefined && a === b && !SHARED_NETWORK_ASNS.has(a);
}
