/**
 * IP addresses and CIDR ranges as campaign detection and source blocking read them: parsed strictly (a sign-in
 * record's address is text an attacker's client can shape), normalised to one spelling, and compared as bytes.
 * IPv4-mapped IPv6 (`::ffff:203.0.113.7`) is the IPv4 address it maps.
 */

/** An address: 4 bytes (IPv4) or 16 bytes (IPv6). */
export interface IpAddress {
    readonly version: 4 | 6;
    readonly bytes: readonly number[];
}

/** A range: an address and how many of its leading bits are fixed. */
export interface CidrRange {
    readonly address: IpAddress;
    readonly prefix: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function parseIpv4(text: string): number[] | undefined {
    const m = IPV4.exec(text);
    if (!m) return undefined;
    const bytes = m.slice(1).map(Number);
    // Leading zeros are refused: "010" is octal to some parsers and decimal to others.
    if (bytes.some((b, i) => b > 255 || (m[i + 1]!.length > 1 && m[i + 1]!.startsWith('0')))) return undefined;
    return bytes;
}

function parseIpv6(text: string): number[] | undefined {
    let head = text;
    let v4: number[] | undefined;
    const lastColon = text.lastIndexOf(':');
    if (text.includes('.')) {
        v4 = parseIpv4(text.slice(lastColon + 1));
        if (!v4) return undefined;
        head = `${text.slice(0, lastColon + 1)}0:0`;
    }
    const halves = head.split('::');
    if (halves.length > 2) return undefined;
    const groups = (part: string) => (part === '' ? [] : part.split(':'));
    const left = groups(halves[0]!);
    const right = halves.length === 2 ? groups(halves[1]!) : [];
    const missing = 8 - left.length - right.length;
    if ((halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1)) return undefined;
    const all = [...left, ...Array.from({ length: halves.length === 2 ? missing : 0 }, () => '0'), ...right];
    const bytes: number[] = [];
    for (const g of all) {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
        const n = parseInt(g, 16);
        bytes.push(n >> 8, n & 0xff);
    }
    if (v4) bytes.splice(12, 4, ...v4);
    return bytes;
}

/** Parses an address (IPv4 dotted quad or any RFC 4291 IPv6 spelling, zone ids refused); undefined otherwise. */
export function parseIp(text: string | undefined): IpAddress | undefined {
    if (!text || text.length > 64) return undefined;
    const t = text.trim();
    const v4 = parseIpv4(t);
    if (v4) return { version: 4, bytes: v4 };
    if (!t.includes(':')) return undefined;
    const v6 = parseIpv6(t);
    if (!v6) return undefined;
    // ::ffff:a.b.c.d is an IPv4 address in IPv6 clothing: one client, one key.
    if (v6.slice(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff) {
        return { version: 4, bytes: v6.slice(12) };
    }
    return { version: 6, bytes: v6 };
}

/** The canonical spelling: dotted quad, or RFC 5952 IPv6 (lower case, the longest run of zero groups as ::). */
export function formatIp(ip: IpAddress): string {
    if (ip.version === 4) return ip.bytes.join('.');
    const groups: number[] = [];
    for (let i = 0; i < 16; i += 2) groups.push((ip.bytes[i]! << 8) | ip.bytes[i + 1]!);
    let bestStart = -1;
    let bestLength = 1;
    for (let i = 0; i < 8;) {
        if (groups[i] !== 0) {
            i++;
            continue;
        }
        let j = i;
        while (j < 8 && groups[j] === 0) j++;
        if (j - i > bestLength) {
            bestStart = i;
            bestLength = j - i;
        }
        i = j;
    }
    const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
    if (bestStart < 0) return hex(groups);
    return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

/** The range of `prefix` leading bits around an address, its host bits zeroed. */
export function rangeOf(ip: IpAddress, prefix: number): CidrRange {
    const bytes = ip.bytes.map((b, i) => {
        const bits = Math.max(0, Math.min(8, prefix - i * 8));
        return b & (0xff << (8 - bits)) & 0xff;
    });
    return { address: { version: ip.version, bytes }, prefix };
}

export function formatRange(range: CidrRange): string {
    return `${formatIp(range.address)}/${range.prefix}`;
}

/** Parses `a.b.c.d/n` or `v6/n` (a bare address is its /32 or /128); host bits must be zero, as Graph requires. */
export function parseRange(text: string): CidrRange | undefined {
    const [addr, bits, extra] = text.trim().split('/');
    if (extra !== undefined) return undefined;
    const ip = parseIp(addr);
    if (!ip) return undefined;
    const max = ip.version === 4 ? 32 : 128;
    if (bits !== undefined && !/^\d{1,3}$/.test(bits)) return undefined;
    const prefix = bits === undefined ? max : Number(bits);
    if (prefix > max) return undefined;
    const range = rangeOf(ip, prefix);
    if (range.address.bytes.some((b, i) => b !== ip.bytes[i])) return undefined;
    return range;
}

export function rangeContains(range: CidrRange, ip: IpAddress): boolean {
    if (range.address.version !== ip.version) return false;
    const inner = rangeOf(ip, range.prefix);
    return inner.address.bytes.every((b, i) => b === range.address.bytes[i]);
}

/** Two ranges share at least one address (one contains the other's start). */
export function rangesOverlap(a: CidrRange, b: CidrRange): boolean {
    return rangeContains(a, b.address) || rangeContains(b, a.address);
}

/**
 * Addresses no Conditional Access named location may hold, and that never identify an attacker on the internet:
 * private (RFC 1918, RFC 4193), shared CGNAT space (RFC 6598), loopback, link-local, unspecified, multicast and
 * reserved (https://www.iana.org/assignments/iana-ipv4-special-registry,
 * https://www.iana.org/assignments/iana-ipv6-special-registry).
 */
const NON_PUBLIC = [
    '0.0.0.0/8',
    '10.0.0.0/8',
    '100.64.0.0/10',
    '127.0.0.0/8',
    '169.254.0.0/16',
    '172.16.0.0/12',
    '192.168.0.0/16',
    '224.0.0.0/3',
    '::/127',
    'fc00::/7',
    'fe80::/10',
    'ff00::/8',
].map((r) => parseRange(r)!);

export function isPublic(ip: IpAddress): boolean {
    return !NON_PUBLIC.some((r) => rangeContains(r, ip));
}
