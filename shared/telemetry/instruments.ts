import { ContainmentStatus, STEP_NAMES } from '../containment/model';
import { SOURCE_TYPES } from '../campaign/campaignPolicy';
import { TRIGGERS } from '../detection/userState';
import { EVENT_KINDS, REJECT_REASONS } from '../signin/signInEvent';

/**
 * Every metric and event the responder sends to Application Insights: names, units and dimension keys are written
 * here and nowhere else (docs/operate.md's telemetry table and KQL name them too; a test checks both).
 *
 * Dimensions are closed sets only. A metric series exists per distinct dimension combination, so anything an
 * attacker or a tenant chooses (user ids, UPNs, IP addresses, app names) never becomes a metric dimension: those go
 * into the custom events, one row each, where they cost nothing in cardinality.
 */

/** What became of one step: run (done or skipped by its own rule), failed (retried later), or only planned. */
export const STEP_OUTCOMES = ['done', 'skipped', 'failed', 'dry-run'] as const;
export type StepOutcome = (typeof STEP_OUTCOMES)[number];

/** The statuses a containment ends in (the others are on the way). */
export const FINAL_STATUSES = [
    'contained',
    'dry-run',
    'not-contained',
    'needs-attention',
] as const satisfies readonly ContainmentStatus[];

/** The value a dimension gets when a caller hands it something outside its list (a bug, never a new series). */
export const OTHER = 'other';

export type InstrumentKind = 'counter' | 'histogram';

export interface InstrumentSpec {
    readonly name: string;
    readonly kind: InstrumentKind;
    readonly unit: string;
    readonly description: string;
    /** Dimension keys and their closed sets of values. */
    readonly dimensions: Readonly<Record<string, readonly string[]>>;
}

const BOOLEAN = ['true', 'false'] as const;
/** HTTP statuses a failed step can carry, by class: bounded whatever Graph answers. */
export const HTTP_STATUS_CLASSES = ['none', '400', '401', '403', '404', '409', '429', '4xx', '5xx'] as const;

/** The metrics, all under the `mfa_responder.` prefix (customMetrics.name). */
export const METRICS = {
    recordsRead: {
        name: 'mfa_responder.records_read',
        kind: 'counter',
        unit: '{record}',
        description: 'Raw records read from the hub (after unpacking envelopes), rejected and dropped ones included.',
        dimensions: {},
    },
    recordsRejected: {
        name: 'mfa_responder.records_rejected',
        kind: 'counter',
        unit: '{record}',
        description: 'Records that could not be used, by reason; they are skipped, never retried.',
        dimensions: { reason: REJECT_REASONS },
    },
    denials: {
        name: 'mfa_responder.denials',
        kind: 'counter',
        unit: '{prompt}',
        description: 'Distinct MFA prompts that became known as declined (or fraud-reported).',
        dimensions: {},
    },
    incidents: {
        name: 'mfa_responder.incidents',
        kind: 'counter',
        unit: '{incident}',
        description: 'Incidents opened, by trigger; drills apart.',
        dimensions: { trigger: TRIGGERS, drill: BOOLEAN },
    },
    containmentSteps: {
        name: 'mfa_responder.containment_steps',
        kind: 'counter',
        unit: '{step}',
        description: 'Containment step outcomes: done, skipped, failed (retried by the timer) or dry-run.',
        dimensions: { step: STEP_NAMES, outcome: STEP_OUTCOMES, httpStatus: HTTP_STATUS_CLASSES },
    },
    containments: {
        name: 'mfa_responder.containments',
        kind: 'counter',
        unit: '{containment}',
        description: 'Containments that reached a final status, by status and mode.',
        dimensions: { status: FINAL_STATUSES, mode: ['dry-run', 'live'] },
    },
    detectionLag: {
        name: 'mfa_responder.detection_lag',
        kind: 'histogram',
        unit: 's',
        description:
            'Processing time minus event time of every MFA outcome and security-info change read: how late Entra delivers, plus our own delay.',
        dimensions: { kind: EVENT_KINDS },
    },
    campaigns: {
        name: 'mfa_responder.campaigns',
        kind: 'counter',
        unit: '{campaign}',
        description:
            'Push-spray campaigns opened, by source type and whether their users are contained one by one or a person decides.',
        dimensions: { sourceType: SOURCE_TYPES, containment: ['user-by-user', 'needs-attention'] },
    },
    firstGraphCallLatency: {
        name: 'mfa_responder.first_graph_call_latency',
        kind: 'histogram',
        unit: 'ms',
        description:
            "From the triggering batch reaching the handler to the first Graph call of the incident's containment.",
        dimensions: { trigger: TRIGGERS },
    },
} as const satisfies Record<string, InstrumentSpec>;

export type MetricId = keyof typeof METRICS;

/** Custom events (customEvents.name), one row per occurrence, with the incident's identifiers in customDimensions. */
export const EVENTS = {
    incidentOpened: {
        name: 'MfaIncidentOpened',
        description: 'An incident was opened (stored): ids, trigger, counts, detection lag and the containment status.',
        properties: [
            'incidentId',
            'userId',
            'trigger',
            'denials',
            'timeouts',
            'fraudReports',
            'detectedAt',
            'detectionLagSeconds',
            'containment',
            'drill',
        ],
    },
    campaignOpened: {
        name: 'MfaCampaignOpened',
        description: 'A push-spray campaign opened: its id, source, users, approvals, severity and containment.',
        properties: [
            'campaignId',
            'sourceType',
            'source',
            'users',
            'approvals',
            'fraudReports',
            'severity',
            'containment',
            'detectedAt',
            'detectionLagSeconds',
        ],
    },
    containmentFinished: {
        name: 'MfaContainmentFinished',
        description: 'A containment reached a final status: the status, its reason and every step with its outcome.',
        properties: ['incidentId', 'userId', 'trigger', 'status', 'mode', 'reason', 'steps'],
    },
} as const;

/** The attribute that makes the Azure Monitor exporter write a log record to customEvents (exporter logUtils.ts). */
export const CUSTOM_EVENT_ATTRIBUTE = 'microsoft.custom_event.name';
