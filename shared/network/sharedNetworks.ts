/**
 * Autonomous systems whose addresses very many unrelated people share at once, so that "many users declined prompts
 * from this network" says nothing about an attacker: an autonomous system number alone (and with a user agent,
 * which a browser's millions of users share) never keys a campaign for them. Their single addresses and /24 or /64
 * still do: an attacker on one cloud VM is one address.
 *
 * - Hyperscale clouds: any attacker can rent there, and so do the company's own VDI, Cloud PC and proxy egress
 *   (Windows 365 Cloud PCs egress from Microsoft's network, AS8075).
 * - Privacy relays and CDNs: iCloud Private Relay egresses through Akamai, Cloudflare and Fastly, Cloudflare WARP
 *   through Cloudflare; one relay address serves many users at once.
 * - The largest mobile and broadband carriers: carrier-grade NAT puts thousands of subscribers behind one address,
 *   and a whole country's employees behind one autonomous system.
 *
 * Numbers checked against the public routing registries (PeeringDB, https://www.peeringdb.com/asn/<number>, and the
 * Hurricane Electric BGP toolkit, https://bgp.he.net/AS<number>); Microsoft's is also in Azure's peering guide
 * (https://learn.microsoft.com/azure/internet-peering/howto-direct-portal). A tenant adds its own with
 * CAMPAIGN_SHARED_ASNS (a national carrier most of its staff use, its secure web gateway's network).
 */
export type SharedNetworkKind = 'cloud' | 'relay' | 'carrier';

export interface SharedNetwork {
    readonly asn: number;
    readonly name: string;
    readonly kind: SharedNetworkKind;
}

export const SHARED_NETWORKS: readonly SharedNetwork[] = [
    { asn: 8075, name: 'Microsoft (Azure, Windows 365, Microsoft services)', kind: 'cloud' },
    { asn: 16509, name: 'Amazon (AWS, AMAZON-02)', kind: 'cloud' },
    { asn: 14618, name: 'Amazon (AWS, AMAZON-AES)', kind: 'cloud' },
    { asn: 15169, name: 'Google', kind: 'cloud' },
    { asn: 396982, name: 'Google Cloud', kind: 'cloud' },
    { asn: 13335, name: 'Cloudflare (WARP, iCloud Private Relay)', kind: 'relay' },
    { asn: 20940, name: 'Akamai International (iCloud Private Relay)', kind: 'relay' },
    { asn: 16625, name: 'Akamai Technologies', kind: 'relay' },
    { asn: 54113, name: 'Fastly (iCloud Private Relay)', kind: 'relay' },
    { asn: 7922, name: 'Comcast Cable', kind: 'carrier' },
    { asn: 20115, name: 'Charter Communications (Spectrum)', kind: 'carrier' },
    { asn: 7018, name: 'AT&T', kind: 'carrier' },
    { asn: 20057, name: 'AT&T Mobility', kind: 'carrier' },
    { asn: 21928, name: 'T-Mobile USA', kind: 'carrier' },
    { asn: 6167, name: 'Verizon Wireless (Cellco)', kind: 'carrier' },
    { asn: 22394, name: 'Verizon Wireless', kind: 'carrier' },
    { asn: 3320, name: 'Deutsche Telekom', kind: 'carrier' },
    { asn: 3215, name: 'Orange', kind: 'carrier' },
    { asn: 4134, name: 'China Telecom', kind: 'carrier' },
    { asn: 9808, name: 'China Mobile (Guangdong)', kind: 'carrier' },
];

export const SHARED_NETWORK_ASNS: ReadonlySet<number> = new Set(SHARED_NETWORKS.map((n) => n.asn));
