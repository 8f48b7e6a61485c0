import type { DetectionPolicy } from '../detection/policy';
import { ConfigError } from '../errors';
import { Env, requireSetting } from './readSetting';

export interface DetectionConfig {
    readonly policy: DetectionPolicy;
    readonly categories: ReadonlySet<string>;
    readonly auditCategories: ReadonlySet<string>;
    /** Users a drill may run against (lower-case object ids). */
    readonly drillUsers: ReadonlySet<string>;
}

export function loadDetectionConfig(env: Env): DetectionConfig {
    const windowMinutes = requireSetting(env, 'DENIAL_WINDOW_MINUTES');
    const toleranceHours = requireSetting(env, 'LATE_EVENT_TOLERANCE_HOURS');
    if (toleranceHours * 60 < windowMinutes) {
        throw new ConfigError(
            'LATE_EVENT_TOLERANCE_HOURS',
            `Setting LATE_EVENT_TOLERANCE_HOURS (${toleranceHours} h) must cover DENIAL_WINDOW_MINUTES (${windowMinutes} min).`,
        );
    }
    return {
        policy: {
            denialThreshold: requireSetting(env, 'DENIAL_THRESHOLD'),
            windowMs: windowMinutes * 60_000,
            timeoutWeight: requireSetting(env, 'TIMEOUT_WEIGHT'),
            spamThenSuccessMinDenials: requireSetting(env, 'SPAM_THEN_SUCCESS_MIN_DENIALS'),
            // Prompts older than the retention are forgotten: the long window cannot reach further back.
            sustainedWindowMs: Math.min(requireSetting(env, 'SUSTAINED_WINDOW_HOURS'), toleranceHours) * 3_600_000,
            sustainedThreshold: requireSetting(env, 'SUSTAINED_THRESHOLD'),
            removalLookbackMs: requireSetting(env, 'REMOVAL_LOOKBACK_MINUTES') * 60_000,
            fraudReportOpensIncident: requireSetting(env, 'FRAUD_REPORT_TRIGGER'),
            retentionMs: toleranceHours * 3_600_000,
            maxPromptsPerUser: requireSetting(env, 'MAX_PROMPTS_PER_USER'),
            maxClockSkewMs: requireSetting(env, 'MAX_CLOCK_SKEW_MINUTES') * 60_000,
            persistenceWindowMs: requireSetting(env, 'PERSISTENCE_WINDOW_HOURS') * 3_600_000,
        },
        categories: new Set(requireSetting(env, 'SIGNIN_CATEGORIES')),
        auditCategories: new Set(requireSetting(env, 'AUDIT_CATEGORIES')),
        drillUsers: new Set(requireSetting(env, 'DRILL_USER_IDS')),
    };
}
