import type { ContainmentConfig } from '../shared/settings/containment';
import type { DetectionConfig } from '../shared/settings/detection';
import { IncidentView, incidentView } from '../shared/notices/incidentView';
import type { ContainedIncident } from '../shared/userRow/userRow';
import type { BatchResult } from '../shared/pipeline/batchResult';
import { isSecurityInfoEvent } from '../shared/signin/signInEvent';
import type { EventRecorder, RecordedUser } from './replayEvents';
import { withDryRunPlans } from './dryRunPlans';
import type { SweepResult } from './thresholdSweep';
import { incidentTimeline, Timeline } from './timeline';

/** One incident as the report shows it: the one incident view, its timeline (for the detailed ones), its plan. */
export interface ReportIncident {
    readonly view: IncidentView;
    readonly timeline?: Timeline;
    /** The containment shown was planned for this report (dry-run), not run (`--contain` runs it). */
    readonly planOnly: boolean;
}

export interface BacktestReport {
    /** Wall clock when the report was made, ms. */
    readonly generatedAt: number;
    readonly inputs: readonly string[];
    /** The settings the replay ran with, by name. */
    readonly settings: ReadonlyArray<readonly [string, string]>;
    readonly totals: BatchResult;
    readonly incidents: readonly ReportIncident[];
    readonly sweep?: SweepResult;
    /** MFA events read but not kept for the sweep and timelines (past the memory bound). */
    readonly eventsDropped: number;
    readonly elapsedMs: number;
    /** DENIAL_WINDOW_MINUTES of the run, ms: the sliding window each timeline draws at its trigger point. */
    readonly windowMs: number;
}

/** Incidents drawn in full (timeline, prompts, plan); the rest are listed in the index only. */
export const MAX_DETAILED_INCIDENTS = 100;
/** Rows of the incident index at most. */
export const MAX_INDEXED_INCIDENTS = 5_000;

export interface BuildReportInput {
    readonly inputs: readonly string[];
    readonly totals: BatchResult;
    /** The replay's incidents, in the order they fired; with a containment when `--contain` ran one. */
    readonly incidents: readonly ContainedIncident[];
    readonly detection: DetectionConfig;
    /** The containment settings: incidents without a containment get the plan these would make, as a dry-run. */
    readonly containment: ContainmentConfig;
    readonly recorder: EventRecorder;
    readonly sweep?: SweepResult;
    readonly generatedAt: number;
    readonly elapsedMs: number;
}

function latestUserType(user: RecordedUser | undefined): string | undefined {
    let found: string | undefined;
    for (const chunk of user?.chunks ?? []) {
        for (const e of chunk) if (!isSecurityInfoEvent(e) && e.userType) found = e.userType;
    }
    return found;
}

/**
 * The report's model: each incident through the one incident view, with its timeline and its containment (the one
 * `--contain` ran, or the dry-run plan: ./dryRunPlans.ts).
 */
export function buildBacktestReport(input: BuildReportInput): BacktestReport {
    const shown = withDryRunPlans(input.incidents, input.containment, (userId) =>
        latestUserType(input.recorder.user(userId)),
    );
    const incidents: ReportIncident[] = shown.map(({ incident, containment, planOnly }, n) => ({
        view: incidentView(incident, containment),
        planOnly,
        ...(n < MAX_DETAILED_INCIDENTS
            ? {
                  timeline: incidentTimeline(
                      input.recorder.user(incident.userId),
                      incident,
                      input.detection.policy.windowMs,
                  ),
              }
            : {}),
    }));
    const p = input.detection.policy;
    const c = input.containment;
    return {
        generatedAt: input.generatedAt,
        inputs: input.inputs,
        settings: [
            ['DENIAL_THRESHOLD', String(p.denialThreshold)],
            ['DENIAL_WINDOW_MINUTES', String(p.windowMs / 60_000)],
            ['TIMEOUT_WEIGHT', String(p.timeoutWeight)],
            ['SPAM_THEN_SUCCESS_MIN_DENIALS', String(p.spamThenSuccessMinDenials)],
            ['FRAUD_REPORT_TRIGGER', String(p.fraudReportOpensIncident)],
            ['LATE_EVENT_TOLERANCE_HOURS', String(p.retentionMs / 3_600_000)],
            ['PERSISTENCE_WINDOW_HOURS', String(p.persistenceWindowMs / 3_600_000)],
            ['SIGNIN_CATEGORIES', [...input.detection.categories].join(',')],
            ['CONTAINMENT_MODE', c.mode],
            ['PUSH_BLOCK_MODE', c.pushBlockMode],
            ['CONFIRM_COMPROMISED', String(c.confirmCompromised)],
            ['DISABLE_ACCOUNT', String(c.disableAccount)],
            ['REMOVE_NEW_METHODS', String(c.removeNewMethods)],
            ['RESET_PASSWORD', String(c.resetPassword)],
            ['CONTAINMENT_COOLDOWN_MINUTES', String(c.cooldownMs / 60_000)],
            ['NEVER_CONTAIN', c.neverContain.size > 0 ? 'set' : 'not set'],
            ['NEVER_CONTAIN_GROUP_IDS', `${c.neverContainGroupIds.length} group(s), checked through Graph when live`],
        ],
        totals: input.totals,
        incidents,
        ...(input.sweep ? { sweep: input.sweep } : {}),
        eventsDropped: input.recorder.dropped,
        elapsedMs: input.elapsedMs,
        windowMs: p.windowMs,
    };
}
