import type { CampaignPolicy } from '../../campaign/campaignPolicy';
import { parseRange } from '../../network/ipAddress';
import { SHARED_NETWORK_ASNS } from '../../network/sharedNetworks';
import { ConfigError } from '../../errors';
import { Env, readSetting, requireSetting } from '../readSetting';

/** Blocking campaign sources in Conditional Access (BLOCK_CAMPAIGN_SOURCES=true). */
export interface SourceBlockConfig {
    /** The IP named location the ranges go to; required to block in live mode. */
    readonly locationId?: string;
    /** How long a range stays, ms (SOURCE_BLOCK_HOURS). */
    readonly durationMs: number;
}

export interface CampaignConfig {
    readonly policy: CampaignPolicy;
    /** Present when BLOCK_CAMPAIGN_SOURCES=true. */
    readonly block?: SourceBlockConfig;
}

export function loadCampaignConfig(env: Env): CampaignConfig {
    const windowMinutes = requireSetting(env, 'CAMPAIGN_WINDOW_MINUTES');
    const toleranceHours = requireSetting(env, 'LATE_EVENT_TOLERANCE_HOURS');
    if (toleranceHours * 60 < windowMinutes) {
        throw new ConfigError(
            'LATE_EVENT_TOLERANCE_HOURS',
            `Setting LATE_EVENT_TOLERANCE_HOURS (${toleranceHours} h) must cover CAMPAIGN_WINDOW_MINUTES (${windowMinutes} min).`,
        );
    }
    const trustedRanges = requireSetting(env, 'TRUSTED_SOURCE_RANGES').map((text) => {
        const range = parseRange(text);
        if (!range) {
            throw new ConfigError(
                'TRUSTED_SOURCE_RANGES',
                `Setting TRUSTED_SOURCE_RANGES holds ${JSON.stringify(text)}, which is not an IPv4 or IPv6 CIDR range with its host bits zero (e.g. 203.0.113.0/24).`,
            );
        }
        return range;
    });
    const blocking = requireSetting(env, 'BLOCK_CAMPAIGN_SOURCES');
    const locationId = readSetting(env, 'BLOCK_LOCATION_ID');
    if (blocking && env.CONTAINMENT_MODE?.trim() === 'live' && !locationId) {
        throw new ConfigError(
            'BLOCK_LOCATION_ID',
            'Setting BLOCK_LOCATION_ID is required when BLOCK_CAMPAIGN_SOURCES=true and CONTAINMENT_MODE=live (the IP named location `mfa-responder setup --block-sources` creates).',
        );
    }
    return {
        policy: {
            windowMs: windowMinutes * 60_000,
            minUsers: requireSetting(env, 'CAMPAIGN_MIN_USERS'),
            maxUsers: requireSetting(env, 'CAMPAIGN_MAX_USERS'),
            trustedRanges,
            sharedAsns: new Set([...SHARED_NETWORK_ASNS, ...requireSetting(env, 'CAMPAIGN_SHARED_ASNS')]),
            retentionMs: toleranceHours * 3_600_000,
        },
        ...(blocking
            ? {
                  block: {
                      ...(locationId ? { locationId } : {}),
                      durationMs: requireSetting(env, 'SOURCE_BLOCK_HOURS') * 3_600_000,
                  },
              }
            : {}),
    };
}
