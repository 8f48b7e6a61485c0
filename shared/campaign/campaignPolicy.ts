import type { CidrRange } from '../network/ipAddress';
import { SHARED_NETWORK_ASNS } from '../network/sharedNetworks';

/** How a source is named: one address, its /24 (IPv4) or /64 (IPv6), its autonomous system, or that with a user agent. */
export const SOURCE_TYPES = ['address', 'network', 'asn-agent', 'asn'] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];

/**
 * The distinct users a source of each type must reach, as a multiple of CAMPAIGN_MIN_USERS (which is the address's
 * own threshold). The wider the source, the more unrelated people it holds, so the more users it takes: a /24 is a
 * small office or a hosting block, an autonomous system with a user agent is one tool across a provider, an autonomous
 * system alone is every customer of a provider.
 */
export const THRESHOLD_FACTORS: Readonly<Record<SourceType, number>> = {
    address: 1,
    network: 1.5,
    'asn-agent': 3,
    asn: 5,
};

/** When prompts from one source against many users are one campaign. Every field comes from a setting. */
export interface CampaignPolicy {
    /** The sliding window, by event time, in which distinct users are counted (CAMPAIGN_WINDOW_MINUTES). */
    readonly windowMs: number;
    /** Distinct users from one address within the window that open a campaign (CAMPAIGN_MIN_USERS). */
    readonly minUsers: number;
    /** Above this many users a campaign is no longer contained user by user (CAMPAIGN_MAX_USERS). */
    readonly maxUsers: number;
    /** TRUSTED_SOURCE_RANGES: prompts from these never key a campaign. */
    readonly trustedRanges: readonly CidrRange[];
    /** Autonomous systems that never key a campaign alone or with a user agent (sharedNetworks.ts, and the tenant's). */
    readonly sharedAsns: ReadonlySet<number>;
    /** How far behind a source's newest prompt a late one still counts (LATE_EVENT_TOLERANCE_HOURS). */
    readonly retentionMs: number;
}

export const DEFAULT_CAMPAIGN_POLICY: CampaignPolicy = {
    windowMs: 60 * 60_000,
    minUsers: 10,
    maxUsers: 50,
    trustedRanges: [],
    sharedAsns: SHARED_NETWORK_ASNS,
    retentionMs: 24 * 3_600_000,
};

/** Distinct users a source of this type must reach within the window. */
export function thresholdFor(type: SourceType, policy: Pick<CampaignPolicy, 'minUsers'>): number {
    return Math.ceil(policy.minUsers * THRESHOLD_FACTORS[type]);
}
