import { z } from 'zod';

import { asnList, bool, cidrList, int, spec } from '../settingSchemas';

/** Campaign detection (one source prompting many users) and source blocking: part of SETTINGS (settings.ts). */
export const CAMPAIGN_SETTINGS = {
    CAMPAIGN_WINDOW_MINUTES: spec({
        schema: int(5, 1440),
        default: '60',
        accepts: 'an integer from 5 to 1440',
        description:
            'Sliding window, by event time, in which the distinct users prompted from one source are counted; also the quiet gap that ends a campaign.',
    }),
    CAMPAIGN_MIN_USERS: spec({
        schema: int(3, 10000),
        default: '10',
        accepts: 'an integer from 3 to 10000',
        description:
            'Distinct users with a declined or unanswered prompt from one address within CAMPAIGN_WINDOW_MINUTES that open a push-spray campaign; a /24 or /64 needs 1.5 times as many, an autonomous system with a user agent 3 times, an autonomous system alone 5 times.',
    }),
    CAMPAIGN_MAX_USERS: spec({
        schema: int(1, 100000),
        default: '50',
        accepts: 'an integer from 1 to 100000',
        description:
            'A campaign up to this many users is contained user by user as one circuit-breaker decision; above it the campaign is High and needs attention, and only users who approved or reported fraud are contained automatically.',
    }),
    TRUSTED_SOURCE_RANGES: spec({
        schema: cidrList(1000),
        default: '',
        accepts: 'a comma-separated list of at most 1000 IPv4 or IPv6 CIDR ranges',
        description:
            'Egress ranges of your NPS extension, AD FS, VDI and proxies: prompts from them never key a campaign (trusted named locations never do either), and they are never blocked.',
    }),
    CAMPAIGN_SHARED_ASNS: spec({
        schema: asnList(500),
        default: '',
        accepts: 'a comma-separated list of at most 500 autonomous system numbers',
        description:
            'Autonomous systems your users share at large (a national carrier, your secure web gateway), added to the built-in clouds, relays and carriers: they never key a campaign alone or with a user agent.',
    }),
    BLOCK_CAMPAIGN_SOURCES: spec({
        schema: bool,
        default: 'false',
        accepts: 'true or false',
        description:
            "In live mode, adds each campaign's source range (at most a /24 or /48, never a trusted range) to the Conditional Access named location BLOCK_LOCATION_ID for SOURCE_BLOCK_HOURS. Needs Policy.Read.All and Policy.ReadWrite.ConditionalAccess.",
    }),
    SOURCE_BLOCK_HOURS: spec({
        schema: int(1, 720),
        default: '24',
        accepts: 'an integer from 1 to 720',
        description: 'How long a blocked campaign source stays in the named location before the timer removes it.',
    }),
    BLOCK_LOCATION_ID: spec({
        schema: z.guid().transform((s) => s.toLowerCase()),
        accepts: 'the id (GUID) of an IP named location',
        description:
            'The IP named location campaign sources are added to (`mfa-responder setup --block-sources` creates it and a report-only block policy). Required when BLOCK_CAMPAIGN_SOURCES=true in live mode.',
    }),
} as const;
